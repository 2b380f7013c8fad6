/**
 * /metrics stays cheap under a scrape flood: the security gauges are read at
 * most once per interval (concurrent scrapes share the read), and the endpoint
 * has its own per-IP rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { type AppDeps, createApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { peer, testDeps } from "../http/test-app.ts";
import { Metrics } from "../observability/metrics.ts";
import {
  cachedSummary,
  registerSecurityGauges,
  type SecuritySummary,
} from "../security/monitoring/metrics.ts";
import { memoryLimiter } from "../security/ratelimit/memory.ts";

const counts = (n: number) => ({
  since: "2026-01-01T00:00:00.000Z",
  eventsAppended: n,
  loginsSucceeded: 0,
  loginsFailed: n,
  lockouts: 0,
  rateLimited: 0,
  bans: 0,
  alertsRaised: 0,
});

const summaryOf = (n: number): SecuritySummary => ({
  at: "2026-01-01T00:00:00.000Z",
  hour: counts(n),
  day: counts(n),
  openAlerts: { low: 0, medium: 0, high: n, critical: 0 },
  acknowledgedAlerts: 0,
  activeSessions: n,
  activeBans: 0,
  lockedAccounts: 0,
});

let deps: AppDeps;
let db: Db;
beforeAll(async () => {
  deps = await testDeps();
  db = deps.db;
});
afterAll(() => db.close());

describe("security gauges", () => {
  it("are read at most once per interval, concurrent callers sharing one read", async () => {
    let t = 0;
    let reads = 0;
    let release: (() => void) | undefined;
    const source = async () => {
      reads++;
      await new Promise<void>((r) => {
        release = r;
      });
      return summaryOf(reads);
    };
    const get = cachedSummary(source, () => {}, { intervalMs: 5000, clock: () => t });
    const first = Promise.all(Array.from({ length: 20 }, get));
    release!();
    expect((await first).every((s) => s?.activeSessions === 1)).toBe(true);
    t += 4999;
    expect((await get())?.activeSessions).toBe(1);
    expect(reads).toBe(1);
    t += 1;
    const second = get();
    release!();
    expect((await second)?.activeSessions).toBe(2);
    expect(reads).toBe(2);
  });

  it("keep the last values when a read fails, and do not retry before the interval", async () => {
    let t = 0;
    let fail = false;
    let reads = 0;
    const errors: unknown[] = [];
    const get = cachedSummary(
      async () => {
        reads++;
        if (fail) throw new Error("database down");
        return summaryOf(7);
      },
      (err) => errors.push(err),
      { intervalMs: 1000, clock: () => t },
    );
    expect((await get())?.activeSessions).toBe(7);
    fail = true;
    t += 1000;
    for (let i = 0; i < 10; i++) expect((await get())?.activeSessions).toBe(7);
    expect(reads).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it("cost one read for a flood of scrapes of /metrics", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let reads = 0;
    registerSecurityGauges(
      metrics,
      async () => {
        reads++;
        return summaryOf(3);
      },
      () => {},
      { intervalMs: 60_000 },
    );
    const app = createApp({ ...deps, metrics });
    const texts = await Promise.all(
      Array.from({ length: 30 }, async () => (await app.request("/metrics")).text()),
    );
    for (let i = 0; i < 10; i++) texts.push(await (await app.request("/metrics")).text());
    expect(reads).toBe(1);
    expect(texts.every((t) => t.includes("vigil_security_active_sessions 3"))).toBe(true);
  });

  it("default to a 5-second interval, configurable with METRICS_CACHE_SECONDS", () => {
    expect(loadConfig({ NODE_ENV: "test" }).metricsCacheMs).toBe(5000);
    expect(loadConfig({ NODE_ENV: "test", METRICS_CACHE_SECONDS: "30" }).metricsCacheMs).toBe(30_000);
    expect(() => loadConfig({ NODE_ENV: "test", METRICS_CACHE_SECONDS: "0" })).toThrow(
      /METRICS_CACHE_SECONDS/,
    );
  });
});

describe("/metrics rate limit", () => {
  it("refuses an address past its own scrape budget with 429, apart from the /v1 budget", async () => {
    const limited = await testDeps(
      { RATE_LIMIT_METRICS_PER_MINUTE: "3", RATE_LIMIT_IP_PER_MINUTE: "2" },
      { db, rateLimiter: memoryLimiter() },
    );
    const app = createApp(limited);
    const scrape = (ip: string, headers: Record<string, string> = {}) =>
      app.request("/metrics", { headers }, peer(ip));
    for (let i = 0; i < 3; i++) expect((await scrape("198.51.100.9")).status).toBe(200);
    const refused = await scrape("198.51.100.9");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ code: "rate_limited", violatedPolicies: ["metrics"] });
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await scrape("198.51.100.10")).status).toBe(200);
    // The scrapes spent nothing of the address's /v1 budget.
    expect((await app.request("/v1", {}, peer("198.51.100.9"))).status).toBe(200);
  });

  it("counts wrong tokens against the same budget, so the token cannot be guessed at speed", async () => {
    const limited = await testDeps(
      { RATE_LIMIT_METRICS_PER_MINUTE: "2", METRICS_TOKEN: "metrics-token-0123456789" },
      { db, rateLimiter: memoryLimiter() },
    );
    const app = createApp(limited);
    const guess = () =>
      app.request(
        "/metrics",
        { headers: { Authorization: "Bearer guess-000000000000" } },
        peer("192.0.2.77"),
      );
    expect((await guess()).status).toBe(401);
    expect((await guess()).status).toBe(401);
    expect((await guess()).status).toBe(429);
  });
});
