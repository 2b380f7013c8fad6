/**
 * What rate limiting costs per request: requests/s on a /v1 route behind the
 * global per-IP limit (two policies, checked by the Lua script on real
 * Redis; concurrent requests share script calls) against the same route with limiting switched off, in the same run,
 * both on the full middleware stack over HTTP (@hono/node-server on
 * 127.0.0.1, autocannon in the same process). The policy limits are set far above the load, so
 * nothing is refused (checked: every response must be 2xx). Phases alternate
 * off/on for BENCH_LIMITS_ROUNDS rounds so drift hits both alike.
 *
 * Module env: BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_LIMITS_SECONDS (measured seconds per phase, default 5),
 * BENCH_LIMITS_WARMUP (seconds, default 1), BENCH_CONNECTIONS (default 32),
 * BENCH_LIMITS_ROUNDS (default 3).
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import autocannon from "autocannon";
import { createCatalog } from "../events/catalog/index.ts";
import { createEventStore } from "../events/store.ts";
import { type AppDeps, createApp, type Feature } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createRouter } from "../src/http/router.ts";
import { createLogger } from "../src/observability/logger.ts";
import { Metrics } from "../src/observability/metrics.ts";
import { createRateLimiter } from "../src/security/ratelimit/index.ts";
import { type BenchContext, type BenchModule, envNumber, fmtInt, type ResultRow } from "./lib.ts";

const ping: Feature = (app) => {
  const r = createRouter();
  r.get("/ping", (c) => c.json({ ok: true }));
  app.route("/v1/bench", r);
};

interface Server {
  url: string;
  close(): Promise<void>;
}

function listen(deps: AppDeps): Promise<Server> {
  const app = createApp(deps, [ping]);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/v1/bench/ping`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function load(url: string, seconds: number, connections: number) {
  const r = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return { rps: r.requests.total / r.duration, non2xx: r.non2xx, errors: r.errors, p99: r.latency.p99 };
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const redisUrl = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";
  const seconds = envNumber("BENCH_LIMITS_SECONDS", 5);
  const warmup = envNumber("BENCH_LIMITS_WARMUP", 1);
  const connections = envNumber("BENCH_CONNECTIONS", 32);
  const rounds = Math.max(1, envNumber("BENCH_LIMITS_ROUNDS", 3));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `bench-${crypto.randomUUID().slice(0, 8)}`,
    RATE_LIMIT_IP_PER_MINUTE: "1000000000",
    RATE_LIMIT_IP_PER_HOUR: "1000000000",
    // This measures the Redis path; on a loaded 2-core box a 100 ms stall would
    // switch to the memory fallback (by design) and spoil the figure.
    RATE_LIMIT_STORE_TIMEOUT_MS: "2000",
  });
  const logger = createLogger({ level: "warn" });
  const limits = await createRateLimiter(config, logger);
  const base: AppDeps = {
    config,
    db: ctx.db,
    store: createEventStore({ db: ctx.db, catalog: createCatalog() }),
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
    clock: { now: () => new Date() },
    readiness: [],
  };
  const off = await listen(base);
  const on = await listen({ ...base, rateLimiter: limits.limiter });
  try {
    const probe = await fetch(on.url);
    if (!probe.headers.get("RateLimit")) throw new Error("the limited route carries no RateLimit header");
    ctx.log(`redis ${redisUrl}; ${connections} connections; ${rounds} x (${seconds}s off, ${seconds}s on)`);
    await load(off.url, warmup, connections);
    await load(on.url, warmup, connections);
    const totals = { off: 0, on: 0 };
    for (let i = 0; i < rounds; i++) {
      for (const [name, server] of [
        ["off", off],
        ["on", on],
      ] as const) {
        const r = await load(server.url, seconds, connections);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        totals[name] += r.rps;
        ctx.log(`  round ${i + 1} limits ${name}: ${fmtInt(r.rps)} req/s, p99 ${r.p99} ms`);
      }
    }
    const offRps = totals.off / rounds;
    const onRps = totals.on / rounds;
    const fellBack = (limits.limiter as { fallbacks?: number }).fallbacks ?? 0;
    if (fellBack > 0) throw new Error(`${fellBack} decisions fell back to memory: not a Redis figure`);
    ctx.log(
      `limits off ${fmtInt(offRps)} req/s, on (Redis) ${fmtInt(onRps)} req/s, ratio ${(onRps / offRps).toFixed(2)}`,
    );
    return [
      { name: "GET /v1 route, limits off", value: offRps, unit: "req/s" },
      {
        name: "same route, per-IP limits on Redis",
        value: onRps,
        unit: "req/s",
        baseline: { name: "off", value: offRps },
        target: { ratio: 0.85 },
        note: "2 policies (ip-minute, ip-hour) per request, one EVALSHA per event-loop turn; nothing refused",
      },
    ];
  } finally {
    await Promise.all([off.close(), on.close()]);
    await limits.close();
  }
}

export const bench: BenchModule = {
  description: "Rate limiting: req/s with per-IP limits on Redis vs the same route unlimited",
  run,
};
