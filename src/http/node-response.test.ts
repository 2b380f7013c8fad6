/**
 * The headers every response gets, over a real socket through @hono/node-server,
 * where security-headers.ts and request-id.ts write them onto Node's
 * ServerResponse instead of the Response (node-response.ts). `app.request()`
 * suites (http.test.ts) cover the other path.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Context } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { createApp, type Feature } from "../app.ts";
import { AppError } from "./errors.ts";
import { API_CSP } from "./middleware/security-headers.ts";
import { headPreset, nodeHead } from "./node-response.ts";
import { createRouter } from "./router.ts";
import { testDeps } from "./test-app.ts";

const routes: Feature = (app) => {
  const r = createRouter();
  r.get("/hello", (c) => c.json({ hello: "world" }));
  r.get("/own", (c) =>
    c.json({ own: true }, 200, {
      "Content-Security-Policy": "default-src 'self'",
      "Cache-Control": "max-age=60",
    }),
  );
  // A route may not weaken the fixed headers, nor replace the request id.
  r.get("/sneaky", (c) =>
    c.json({}, 200, { "X-Frame-Options": "ALLOWALL", "X-Request-Id": "forged-id-123" }),
  );
  r.get("/refuse", () => {
    throw new AppError("forbidden", "No");
  });
  r.get("/boom", () => {
    throw new Error("unexpected");
  });
  app.route("/v1/_node", r);
};

let db: Db;
let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const deps = await testDeps();
  db = deps.db;
  const app = createApp(deps, [routes]);
  await new Promise<void>((ready) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => new Promise((done) => server.close(() => done()));
      ready();
    });
  });
});
afterAll(async () => {
  await close?.();
  await db?.close();
});

const FIXED: Record<string, string> = {
  "strict-transport-security": "max-age=63072000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "x-permitted-cross-domain-policies": "none",
  "origin-agent-cluster": "?1",
};

function expectFixed(res: Response): void {
  for (const [name, value] of Object.entries(FIXED)) expect(res.headers.get(name), name).toBe(value);
  expect(res.headers.get("permissions-policy")).toMatch(/camera=\(\)/);
  // One id, not a route's and not two joined.
  expect(res.headers.get("x-request-id")).toMatch(/^test-request-\d{4}$/);
}

describe("headers over @hono/node-server", () => {
  it("are on successes, 404s, 405s, problems and 500s, with the API defaults", async () => {
    for (const [path, method, status] of [
      ["/v1/_node/hello", "GET", 200],
      ["/v1/_node/nowhere", "GET", 404],
      ["/v1/_node/hello", "DELETE", 405],
      ["/v1/_node/refuse", "GET", 403],
      ["/v1/_node/boom", "GET", 500],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, path).toBe(status);
      expectFixed(res);
      expect(res.headers.get("content-security-policy")).toBe(API_CSP);
      expect(res.headers.get("cache-control")).toBe("no-store");
      if (status >= 400) {
        const body = (await res.json()) as { requestId?: string };
        expect(body.requestId).toBe(res.headers.get("x-request-id"));
      } else await res.arrayBuffer();
    }
  });

  it("405 carries Allow", async () => {
    const res = await fetch(`${base}/v1/_node/hello`, { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    await res.arrayBuffer();
  });

  it("keep a route's own CSP and Cache-Control", async () => {
    const res = await fetch(`${base}/v1/_node/own`);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'self'");
    expect(res.headers.get("cache-control")).toBe("max-age=60");
    expectFixed(res);
    await res.arrayBuffer();
  });

  it("are not weakened by a route, nor is the request id replaced", async () => {
    const res = await fetch(`${base}/v1/_node/sneaky`, { headers: { "X-Request-Id": "client-id-12345" } });
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-request-id")).toBe("client-id-12345");
    await res.arrayBuffer();
  });
});

describe("nodeHead: the plan merged into the head as it is written", () => {
  function fakeOutgoing(own: Record<string, string> = {}) {
    const written: { status?: number; headers?: Record<string, unknown>; reason?: string } = {};
    const out = {
      headersSent: false,
      hasHeader: (name: string) => name.toLowerCase() in own,
      getHeader: (name: string) => own[name.toLowerCase()],
      getHeaderNames: () => Object.keys(own),
      writeHead(status: number, ...rest: unknown[]) {
        written.status = status;
        if (typeof rest[0] === "string") written.reason = rest[0];
        // The plan writes the flat [name, value, ...] list; each name once.
        const flat = (typeof rest[0] === "string" ? rest[1] : rest[0]) as unknown[];
        const names = flat.filter((_, i) => i % 2 === 0);
        expect(new Set(names).size).toBe(names.length);
        written.headers = Object.fromEntries(names.map((name, i) => [name, flat[2 * i + 1]]));
        return this;
      },
    };
    const c = { env: { outgoing: out } } as unknown as Context;
    return { c, out, written };
  }

  it("defaults yield to the response, enforced ones replace it in any case, appended ones follow it", () => {
    const { c, out, written } = fakeOutgoing();
    const head = nodeHead(c)!;
    expect(nodeHead(c)).toBe(head);
    head.enforce("X-Frame-Options", "DENY");
    head.setDefault("Cache-Control", "no-store");
    head.setDefault("Content-Security-Policy", "default-src 'none'");
    head.append("RateLimit", '"user";r=9;t=1');
    head.append("RateLimit", '"ip-minute";r=59;t=1');
    out.writeHead(200, {
      "x-frame-options": "ALLOWALL",
      "Cache-Control": "max-age=60",
      RateLimit: '"inner";r=1;t=2',
      "Content-Type": "application/json",
    });
    expect(written.status).toBe(200);
    expect(written.headers).toEqual({
      "X-Frame-Options": "DENY",
      "Cache-Control": "max-age=60",
      "Content-Security-Policy": "default-src 'none'",
      RateLimit: '"inner";r=1;t=2, "user";r=9;t=1, "ip-minute";r=59;t=1',
      "Content-Type": "application/json",
    });
  });

  it("takes a reason phrase, [name, value] pairs, no headers at all, and values set on the response itself", () => {
    const pairs = fakeOutgoing();
    nodeHead(pairs.c)!.enforce("X-Request-Id", "ours-12345");
    pairs.out.writeHead(404, "Nope", [
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["X-Request-Id", "theirs"],
    ]);
    expect(pairs.written.reason).toBe("Nope");
    expect(pairs.written.headers).toEqual({ "Set-Cookie": ["a=1", "b=2"], "X-Request-Id": "ours-12345" });

    const bare = fakeOutgoing({ "cache-control": "private", ratelimit: '"set";r=1;t=1' });
    const head = nodeHead(bare.c)!;
    head.setDefault("Cache-Control", "no-store");
    head.append("RateLimit", '"ours";r=2;t=1');
    bare.out.writeHead(204);
    expect(bare.written.headers).toEqual({ RateLimit: '"set";r=1;t=1, "ours";r=2;t=1' });
  });

  it("takes a preset whole, or entry by entry, each with its rule, when one of its names is already planned", () => {
    const preset = headPreset([
      { name: "X-Frame-Options", value: "DENY", rule: "enforce" },
      { name: "Cache-Control", value: "no-store", rule: "default" },
    ]);
    const whole = fakeOutgoing();
    nodeHead(whole.c)!.preset(preset);
    whole.out.writeHead(200, { "X-Frame-Options": "ALLOWALL", "Cache-Control": "max-age=60" });
    expect(whole.written.headers).toEqual({ "X-Frame-Options": "DENY", "Cache-Control": "max-age=60" });

    const mixed = fakeOutgoing();
    const head = nodeHead(mixed.c)!;
    head.append("cache-control", "private");
    head.preset(preset);
    head.preset(preset);
    mixed.out.writeHead(200, {});
    // The preset's Cache-Control replaced the earlier entry, once; nothing was listed twice.
    expect(mixed.written.headers).toEqual({ "X-Frame-Options": "DENY", "Cache-Control": "no-store" });
  });

  it("is absent without a ServerResponse or once its head is written", () => {
    expect(nodeHead({ env: {} } as unknown as Context)).toBeUndefined();
    const { c, out } = fakeOutgoing();
    out.headersSent = true;
    expect(nodeHead(c)).toBeUndefined();
  });
});
