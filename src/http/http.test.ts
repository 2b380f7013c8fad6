/** The HTTP contract: problem+json for every failure, and the request pipeline around routes. */
import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { ConcurrencyError, EventValidationError } from "../../events/errors.ts";
import { type App, createApp, type Feature } from "../app.ts";
import { AppError } from "./errors.ts";
import { createRouter } from "./router.ts";
import { peer, testDeps } from "./test-app.ts";

const echoRoute = createRoute({
  method: "post",
  path: "/echo",
  request: {
    query: z.object({ mode: z.enum(["plain", "loud"]).optional() }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            email: z.email(),
            age: z.number().int().min(0),
            profile: z.object({ name: z.string() }),
          }),
        },
      },
    },
  },
  responses: { 200: { description: "echo", content: { "application/json": { schema: z.any() } } } },
});

const testFeature: Feature = (app) => {
  const r = createRouter();
  r.openapi(echoRoute, (c) => c.json({ body: c.req.valid("json"), ip: c.get("clientIp") }, 200));
  r.get("/ip", (c) => c.json({ ip: c.get("clientIp") ?? null }));
  r.get("/slow", async (c) => {
    await new Promise((res) => setTimeout(res, 300));
    return c.json({ done: true });
  });
  r.get("/throw/:kind", (c) => {
    const kind = c.req.param("kind");
    if (kind === "app")
      throw new AppError("rate_limited", "Slow down", {
        headers: { "Retry-After": "30" },
        ext: { retryAfter: 30 },
      });
    if (kind === "concurrency") throw new ConcurrencyError("user-1", "3");
    if (kind === "event")
      throw new EventValidationError("UserRegistered", [{ path: "data.email", message: "Invalid email" }]);
    throw new Error('relation "users" does not exist: SELECT password_hash FROM users');
  });
  app.route("/v1/_test", r);
};

let db: Db;
let app: App;
beforeAll(async () => {
  const deps = await testDeps({
    CORS_ORIGINS: "https://app.example.com",
    TRUSTED_PROXIES: "10.0.0.0/8",
    BODY_LIMIT_BYTES: "1024",
    REQUEST_TIMEOUT_MS: "100",
  });
  db = deps.db;
  app = createApp(deps, [testFeature]);
});
afterAll(() => db.close());

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const valid = { email: "a@example.com", age: 3, profile: { name: "Ada" } };

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:vigil:problem:${code}` });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(body.requestId).toBe(res.headers.get("X-Request-Id"));
  return body;
}

describe("problem+json", () => {
  it("accepts a valid body", async () => {
    const res = await app.request("/v1/_test/echo", json(valid));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: unknown }).body).toEqual(valid);
  });

  it("400 malformed_json for a body that does not parse", async () => {
    await problem(await app.request("/v1/_test/echo", json('{"email":')), 400, "malformed_json");
  });

  it("415 for a non-JSON content type", async () => {
    const res = await app.request("/v1/_test/echo", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(valid),
    });
    await problem(res, 415, "unsupported_media_type");
  });

  it("400 validation_failed listing every field path", async () => {
    const res = await app.request("/v1/_test/echo?mode=shout", json({ email: "nope", age: -1, profile: {} }));
    const body = await problem(res, 400, "validation_failed");
    const paths = (body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["query.mode"]);
    // Query validation runs first; the body is reported once the query is right.
    const res2 = await app.request("/v1/_test/echo", json({ email: "nope", age: -1, profile: {} }));
    const body2 = await problem(res2, 400, "validation_failed");
    expect((body2.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "body.age",
      "body.email",
      "body.profile.name",
    ]);
    expect(JSON.stringify(body2)).not.toMatch(/ZodError|"issues"/);
  });

  it("400 validation_failed for a missing body", async () => {
    const res = await app.request("/v1/_test/echo", { method: "POST" });
    await problem(res, 400, "validation_failed");
  });

  it("404 for an unknown route", async () => {
    await problem(await app.request("/v1/nothing-here"), 404, "not_found");
  });

  it("405 with Allow when the path exists with another method", async () => {
    const res = await app.request("/health", { method: "DELETE" });
    await problem(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("405 takes precedence over body problems on a path without that method", async () => {
    await problem(await app.request("/v1", json("{not json")), 405, "method_not_allowed");
  });

  it("renders an AppError with its headers and extension members", async () => {
    const res = await app.request("/v1/_test/throw/app");
    const body = await problem(res, 429, "rate_limited");
    expect(body.retryAfter).toBe(30);
    expect(res.headers.get("Retry-After")).toBe("30");
  });

  it("maps ConcurrencyError to 409, or 412 when the client sent If-Match", async () => {
    await problem(await app.request("/v1/_test/throw/concurrency"), 409, "conflict");
    const res = await app.request("/v1/_test/throw/concurrency", { headers: { "If-Match": '"3"' } });
    await problem(res, 412, "precondition_failed");
  });

  it("maps EventValidationError to 422 with its field list", async () => {
    const body = await problem(await app.request("/v1/_test/throw/event"), 422, "invalid_event");
    expect(body.errors).toEqual([{ path: "data.email", message: "Invalid email" }]);
  });

  it("hides the message and stack of an unexpected error", async () => {
    const res = await app.request("/v1/_test/throw/boom");
    const body = await problem(res, 500, "internal_error");
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/relation|SELECT|password_hash|at .*\.ts|stack/);
  });
});

describe("body limit", () => {
  const big = JSON.stringify({ ...valid, pad: "x".repeat(2000) });

  it("413 when Content-Length declares too much", async () => {
    await problem(await app.request("/v1/_test/echo", json(big)), 413, "payload_too_large");
  });

  it("413 when the body is streamed without Content-Length", async () => {
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 256) ctl.enqueue(bytes.slice(i, i + 256));
        ctl.close();
      },
    });
    const req = new Request("http://localhost/v1/_test/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(req.headers.get("Content-Length")).toBeNull();
    await problem(await app.request(req), 413, "payload_too_large");
  });

  it("413 when Content-Length understates the body", async () => {
    const req = new Request("http://localhost/v1/_test/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": "10" },
      body: big,
    });
    await problem(await app.request(req), 413, "payload_too_large");
  });
});

describe("timeout", () => {
  it("503 request_timeout when a handler runs too long", async () => {
    await problem(await app.request("/v1/_test/slow"), 503, "request_timeout");
  });
});

describe("security headers", () => {
  const expectHeaders = (res: Response) => {
    expect(res.headers.get("Strict-Transport-Security")).toMatch(/max-age=\d+/);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Content-Security-Policy")).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("Permissions-Policy")).toMatch(/camera=\(\)/);
    expect(res.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
    expect(res.headers.get("Cross-Origin-Resource-Policy")).toBe("same-origin");
  };
  it("are on successes, 404s, 405s, validation failures and 500s", async () => {
    expectHeaders(await app.request("/health"));
    expectHeaders(await app.request("/nowhere"));
    expectHeaders(await app.request("/health", { method: "PUT" }));
    expectHeaders(await app.request("/v1/_test/echo", json("{")));
    expectHeaders(await app.request("/v1/_test/throw/boom"));
    expectHeaders(await app.request("/v1/_test/echo", json("x".repeat(5000))));
  });
});

describe("CORS", () => {
  it("allows a listed origin", async () => {
    const res = await app.request("/health", { headers: { Origin: "https://app.example.com" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(res.headers.get("Vary")).toMatch(/Origin/);
  });

  it("gives a disallowed origin no CORS headers at all", async () => {
    const res = await app.request("/health", { headers: { Origin: "https://evil.example.com" } });
    expect(res.status).toBe(200);
    const cors = [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
    expect(cors).toEqual([]);
  });

  it("answers a preflight from a listed origin", async () => {
    const res = await app.request("/v1/_test/echo", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(res.headers.get("Access-Control-Allow-Methods")).toMatch(/POST/);
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("does not answer a preflight from another origin", async () => {
    const res = await app.request("/v1/_test/echo", {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).not.toBe(204);
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });
});

describe("client IP", () => {
  const ipOf = async (from: string, xff?: string) => {
    const headers: Record<string, string> = xff ? { "X-Forwarded-For": xff } : {};
    const res = await app.request("/v1/_test/ip", { headers }, peer(from));
    return ((await res.json()) as { ip: string | null }).ip;
  };

  it("ignores X-Forwarded-For from an untrusted peer", async () => {
    expect(await ipOf("203.0.113.9", "1.2.3.4")).toBe("203.0.113.9");
  });

  it("takes the rightmost untrusted hop behind a trusted proxy", async () => {
    expect(await ipOf("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.1.2.3")).toBe("198.51.100.7");
  });

  it("unwraps IPv4-mapped IPv6 peers before matching", async () => {
    expect(await ipOf("::ffff:10.0.0.5", "198.51.100.7")).toBe("198.51.100.7");
  });

  it("is undefined when no peer is known", async () => {
    const res = await app.request("/v1/_test/ip", { headers: { "X-Forwarded-For": "1.2.3.4" } });
    expect(((await res.json()) as { ip: string | null }).ip).toBeNull();
  });
});

describe("request id", () => {
  it("echoes a sane incoming id", async () => {
    const res = await app.request("/health", { headers: { "X-Request-Id": "req-abc-123456" } });
    expect(res.headers.get("X-Request-Id")).toBe("req-abc-123456");
  });

  it("replaces an unsafe incoming id with a generated one", async () => {
    for (const bad of ['<script>"x"</script>', "x".repeat(500), "short"]) {
      const res = await app.request("/nowhere", { headers: { "X-Request-Id": bad } });
      const id = res.headers.get("X-Request-Id");
      expect(id).toMatch(/^test-request-\d{4}$/);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
    }
  });

  it("generates random UUIDs when the app is given no id source", async () => {
    const deps = await testDeps({}, { db, ids: undefined });
    const plain = createApp(deps, [testFeature]);
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await plain.request("/nowhere");
      const id = res.headers.get("X-Request-Id") ?? "";
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
      ids.add(id);
    }
    expect(ids.size).toBe(5);
  });
});
