/** /health, /ready, /metrics, /openapi.json, /docs through app.request(). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { type AppDeps, createApp } from "../app.ts";
import { testDeps } from "../http/test-app.ts";

let deps: AppDeps;
let db: Db;
beforeAll(async () => {
  deps = await testDeps();
  db = deps.db;
});
afterAll(() => db.close());

describe("/health and /ready", () => {
  it("/health says ok", async () => {
    const res = await createApp(deps).request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("/ready checks the database and every readiness check", async () => {
    const app = createApp({ ...deps, readiness: [{ name: "redis", check: async () => {} }] });
    const res = await app.request("/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok", redis: "ok" } });
  });

  it("/ready is 503 problem+json naming what failed, without the reason", async () => {
    const app = createApp({
      ...deps,
      readiness: [
        { name: "redis", check: async () => Promise.reject(new Error("ECONNREFUSED redis://:pw@10.0.0.7")) },
        { name: "queue", check: async () => {} },
      ],
    });
    const res = await app.request("/ready");
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "service_unavailable", failed: ["redis"] });
    expect(body.detail).toMatch(/redis/);
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7/);
  });

  it("/ready fails when the database is gone", async () => {
    const broken: Db = { ...db, query: () => Promise.reject(new Error("connection terminated")) };
    const res = await createApp({ ...deps, db: broken }).request("/ready");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { failed: string[] }).failed).toEqual(["database"]);
  });

  it("GET /v1 returns the version", async () => {
    const res = await createApp(deps).request("/v1");
    expect(await res.json()).toMatchObject({ name: "vigil", api: "v1" });
  });
});

describe("/metrics", () => {
  it("exposes Prometheus text with the HTTP counter by route pattern", async () => {
    const app = createApp(deps);
    await app.request("/health");
    await app.request("/nowhere/123");
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE vigil_http_requests_total counter/);
    expect(text).toMatch(/vigil_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toMatch(/vigil_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toMatch(/vigil_http_request_duration_seconds_bucket/);
    expect(text).not.toMatch(/nowhere\/123/);
  });

  it("includes default process metrics", async () => {
    const { Metrics } = await import("../observability/metrics.ts");
    const app = createApp({ ...deps, metrics: new Metrics() });
    const text = await (await app.request("/metrics")).text();
    expect(text).toMatch(/vigil_process_cpu_seconds_total/);
  });

  it("demands the bearer token when METRICS_TOKEN is set", async () => {
    const token = "metrics-token-0123456789";
    const app = createApp({ ...deps, config: { ...deps.config, metricsToken: token } });
    const denied = await app.request("/metrics");
    expect(denied.status).toBe(401);
    expect(denied.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect((await app.request("/metrics", { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    const ok = await app.request("/metrics", { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
  });
});

describe("/openapi.json and /docs", () => {
  it("is OpenAPI 3.1 listing the system routes and the Problem schema", async () => {
    const res = await createApp(deps).request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Vigil API");
    expect(Object.keys(doc.paths).sort()).toEqual(["/health", "/metrics", "/ready", "/v1"]);
    expect(Object.keys(doc.paths["/ready"]!)).toEqual(["get"]);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it("lists routes that features mount", async () => {
    const { createRoute, z } = await import("@hono/zod-openapi");
    const { createRouter } = await import("../http/router.ts");
    const app = createApp(deps, [
      (a) => {
        const r = createRouter();
        r.openapi(
          createRoute({
            method: "get",
            path: "/things/{id}",
            request: { params: z.object({ id: z.string() }) },
            responses: { 200: { description: "a thing" } },
          }),
          (c) => c.body(null, 200),
        );
        a.route("/v1", r);
      },
    ]);
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(doc.paths["/v1/things/{id}"]).toBeDefined();
  });

  it("serves a docs page and assets with no external URLs, under its own CSP", async () => {
    const app = createApp(deps);
    const page = await app.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = page.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await page.text();
    expect(html).toContain('src="/docs/docs.js"');
    expect(html).toContain('href="/docs/docs.css"');
    for (const asset of ["/docs/docs.js", "/docs/docs.css"]) {
      const res = await app.request(asset);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toMatch(/https?:\/\//);
    }
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script: CSP would block it, and the page must not need it.
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    // Rendered on the server: the operations are in the HTML, no fetch needed to see them.
    expect(html).toContain('<span class="path">/ready</span>');
    const js = await (await app.request("/docs/docs.js")).text();
    expect(js).not.toMatch(/fetch\(/);
    expect(js).not.toMatch(/innerHTML/);
    expect((await app.request("/docs/docs.js")).headers.get("Content-Type")).toMatch(/^text\/javascript/);
  });
});
