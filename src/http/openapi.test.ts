/**
 * /openapi.json declares every status an operation can answer. Two checks:
 * the rules (a body or parameters → 400, credentials → 401, a body → 413 and
 * 415, /v1 → 429 and 503, every path → 405), and probes: each operation is
 * requested anonymously, as an admin with bad input, with the wrong content
 * type, with an oversized body and with a method its path lacks, and every
 * status it answers must be in its `responses`. A route added later is walked
 * without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccessHarness,
  accessHarness,
  enableTotpFor,
  loginWithTotp,
  userWithRoles,
} from "../access/testing.ts";
import { type App, createApp } from "../app.ts";
import { features } from "../features.ts";
import { memoryLimiter } from "../security/ratelimit/memory.ts";
import { ERROR_CODES } from "./errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON.
type Json = Record<string, any>;
interface Op {
  method: string;
  path: string;
  op: Json;
}

let h: AccessHarness;
let app: App;
let doc: Json;
let adminToken: string;

beforeAll(async () => {
  h = await accessHarness({ env: { REQUEST_TIMEOUT_MS: "120000" } });
  // The limiter on, as the runtime mounts it: RateLimit-Policy on an answer proves the route is limited.
  app = createApp({ ...h.deps, rateLimiter: memoryLimiter() }, features);
  const admin = await userWithRoles(h, "openapi-admin@example.com", ["admin"]);
  const { secret } = await enableTotpFor(h, admin);
  h.clock.advance(31);
  adminToken = (await loginWithTotp(h, admin.email, secret)).token;
  doc = (await (await app.request("/openapi.json")).json()) as Json;
}, 180_000);
afterAll(() => h?.close());

function operations(): Op[] {
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json))
    for (const [method, op] of Object.entries(item as Json))
      ops.push({ method: method.toUpperCase(), path, op });
  return ops;
}

const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "x");
const declared = (o: Op, status: number) => o.op.responses?.[String(status)] !== undefined;
const name = (o: Op) => `${o.method} ${o.path}`;

/** Every status seen and not declared, as `GET /x → 404 (probe)`. */
const missing: string[] = [];
async function probe(o: Op, what: string, init: RequestInit & { headers?: Record<string, string> }) {
  const res = await app.request(concrete(o.path), { method: o.method, ...init });
  if (!declared(o, res.status)) missing.push(`${name(o)} → ${res.status} (${what})`);
  if (res.headers.get("RateLimit-Policy") && !declared(o, 429))
    missing.push(`${name(o)} → 429 (limited: ${what})`);
  await res.body?.cancel();
  return res;
}

describe("/openapi.json declares what each operation answers", () => {
  it("follows the rules for bodies, parameters, credentials, limits and the database", () => {
    const broken: string[] = [];
    for (const o of operations()) {
      const need = (status: number, why: string) => {
        if (!declared(o, status)) broken.push(`${name(o)} lacks ${status} (${why})`);
      };
      if (o.op.requestBody || o.op.parameters?.length) need(400, "validated input");
      if (o.op.security?.length) need(401, "credentials");
      if (o.op.requestBody) {
        need(413, "body limit");
        need(415, "JSON body");
      }
      need(405, "other methods");
      if (o.path.startsWith("/v1")) {
        need(429, "the /v1 limit");
        if (o.path !== "/v1") need(503, "the database");
      }
      // Each problem response shows its own code, at its own status.
      for (const [status, r] of Object.entries(o.op.responses as Json)) {
        const resolved = r.$ref ? doc.components.responses[r.$ref.split("/").pop()] : r;
        const example = resolved.content?.["application/problem+json"]?.example;
        if (Number(status) >= 400 && resolved.content?.["application/problem+json"]) {
          if (!example) broken.push(`${name(o)} ${status} has no example`);
          else if (ERROR_CODES[example.code as keyof typeof ERROR_CODES]?.status !== Number(status))
            broken.push(`${name(o)} ${status} shows ${example.code}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("declares the credentials each operation takes", () => {
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
    });
    const sec = (m: string, p: string) => doc.paths[p][m].security;
    expect(sec("get", "/v1/admin/users")).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    expect(sec("post", "/v1/auth/logout")).toEqual([{ bearerAuth: [] }]);
    expect(sec("post", "/v1/auth/login")).toBeUndefined();
  });

  it("password fields say what the policy accepts", () => {
    const reg = doc.paths["/v1/auth/register"].post.requestBody.content["application/json"].schema;
    const props = (reg.$ref ? doc.components.schemas[reg.$ref.split("/").pop()] : reg).properties;
    expect(props.password).toMatchObject({ minLength: 12, maxLength: 128 });
  });

  it("every status a probe gets is declared", async () => {
    const auth = { Authorization: `Bearer ${adminToken}` };
    const ops = operations();
    for (const o of ops) {
      const body = o.op.requestBody !== undefined;
      await probe(
        o,
        "anonymous",
        body ? { body: "{}", headers: { "Content-Type": "application/json" } } : {},
      );
      if (body || o.op.parameters?.length) {
        await probe(
          o,
          "admin, bad input",
          body
            ? {
                body: JSON.stringify({ unexpectedKey: 1 }),
                headers: { ...auth, "Content-Type": "application/json" },
              }
            : { headers: auth },
        );
      }
      if (body && o.path.startsWith("/v1")) {
        const r415 = await probe(o, "text/plain body", {
          body: "{}",
          headers: { "Content-Type": "text/plain" },
        });
        expect(r415.status, name(o)).toBe(415);
        const big = "x".repeat(h.deps.config.bodyLimitBytes + 1);
        const r413 = await probe(o, "oversized body", {
          body: big,
          headers: { "Content-Type": "application/json" },
        });
        expect(r413.status, name(o)).toBe(413);
      }
    }
    for (const path of Object.keys(doc.paths)) {
      const other = ["GET", "POST", "PUT", "PATCH", "DELETE"].find((m) => !doc.paths[path][m.toLowerCase()]);
      if (!other) continue;
      const res = await app.request(concrete(path), { method: other });
      expect(res.status, `${other} ${path}`).toBe(405);
      for (const o of ops.filter((x) => x.path === path))
        if (!declared(o, 405)) missing.push(`${name(o)} → 405`);
    }
    expect(missing).toEqual([]);
  }, 300_000);
});

describe("/docs", () => {
  it("renders every operation on the server, with fields, limits, schemas and each error's own example", async () => {
    const res = await app.request("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    // Complete before any script: every operation is in the HTML.
    for (const o of operations()) expect(html).toContain(`id="op-${o.method.toLowerCase()}-`);
    const register = html.slice(html.indexOf('id="op-post--v1-auth-register"'));
    const section = register.slice(0, register.indexOf("</section>"));
    expect(section).toMatch(
      /<code>password<\/code><\/td><td>string<\/td><td>required<\/td><td>12–128 characters/,
    );
    expect(section).toContain("&#34;code&#34;: &#34;email_taken&#34;");
    expect(section).toContain("&#34;code&#34;: &#34;rate_limited&#34;");
    expect(section).toContain("&#34;code&#34;: &#34;payload_too_large&#34;");
    // Referenced schemas render with their fields, not as {}.
    const user = html.slice(html.indexOf('id="schema-User"'));
    expect(user.slice(0, user.indexOf("</section>"))).toContain("<code>emailVerified</code>");
    expect(html).not.toContain("<pre>{}</pre>");
  });
});
