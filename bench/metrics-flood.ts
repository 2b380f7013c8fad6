/**
 * A signed-in client beside a flood of /metrics scrapes and anonymous
 * requests from the same address, over HTTP (@hono/node-server on 127.0.0.1,
 * autocannon in the same process), on real Postgres and Redis, with the whole
 * runtime (buildRuntime) and every feature mounted:
 *
 * 1. baseline: GET /v1/auth/me at a steady rate (paced, open loop) alone;
 * 2. the same probe while BENCH_CONNECTIONS connections scrape /metrics with
 *    the token and call /v1/auth/me without credentials as fast as they can.
 *
 * Printed: the probe's p50/p99 in both phases (ratio: what the flood costs the
 * signed-in user), how many probe answers were not 200 during the flood (the
 * anonymous flood spends the address's per-IP budget; a signed-in user must
 * not be refused by it), and the flood's own request rate and status codes.
 * Per-user and login limits are raised out of the way; the per-IP and
 * /metrics limits keep their defaults.
 *
 * Module env: BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_CONNECTIONS
 * (flood, default 32), BENCH_FLOOD_ME_RATE (probe req/s, default 50).
 */
import autocannon from "autocannon";
import { createApp } from "../src/app.ts";
import { features } from "../src/features.ts";
import { buildRuntime } from "../src/runtime.ts";
import { latencySummary, listen } from "../test/helpers/http-server.ts";
import { type BenchContext, type BenchModule, envNumber, fmtInt, fmtMs, type ResultRow } from "./lib.ts";

const PASSWORD = "plum-harbour-velvet-42";
const TOKEN = "bench-metrics-token-0123456789";

/** `rate` GETs per second spread evenly for `seconds`, each timed alone; returns latencies and non-200 codes. */
async function probe(url: string, headers: Record<string, string>, rate: number, seconds: number) {
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  const inflight: Promise<void>[] = [];
  const tickMs = 10;
  let owed = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    owed += rate * (tickMs / 1000);
    for (; owed >= 1; owed--) {
      const t0 = performance.now();
      inflight.push(
        fetch(url, { headers }).then(async (res) => {
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (res.status !== 200) refused[res.status] = (refused[res.status] ?? 0) + 1;
        }),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inflight);
  return { ...latencySummary(latencies), refused };
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const redisUrl = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";
  const connections = envNumber("BENCH_CONNECTIONS", 32);
  const rate = envNumber("BENCH_FLOOD_ME_RATE", 50);
  const { seconds } = ctx;
  const rt = await buildRuntime(
    {
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `bench-${crypto.randomUUID().slice(0, 8)}`,
      METRICS_TOKEN: TOKEN,
      RATE_LIMIT_USER_PER_MINUTE: "1000000000",
      RATE_LIMIT_LOGIN_PER_MINUTE: "1000000",
    },
    { db: ctx.db, skipMigrate: true },
  );
  const server = await listen(createApp(rt.deps, features).fetch);
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${server.base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await post("/v1/auth/register", { email: "ada@example.com", password: PASSWORD });
    const login = (await (
      await post("/v1/auth/login", { email: "ada@example.com", password: PASSWORD })
    ).json()) as {
      accessToken: string;
    };
    const me = `${server.base}/v1/auth/me`;
    const auth = { authorization: `Bearer ${login.accessToken}` };
    await probe(me, auth, rate, ctx.warmupSeconds);
    const alone = await probe(me, auth, rate, seconds);
    ctx.log(`/auth/me alone: p50 ${fmtMs(alone.p50)}, p99 ${fmtMs(alone.p99)} (${alone.n} requests)`);

    const [flood, during] = await Promise.all([
      autocannon({
        url: server.base,
        connections,
        duration: seconds + 1,
        requests: [
          { method: "GET", path: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } },
          { method: "GET", path: "/v1/auth/me" },
        ],
      }),
      probe(me, auth, rate, seconds),
    ]);
    const floodRps = flood.requests.total / flood.duration;
    const codes = Object.entries(flood.statusCodeStats ?? {})
      .map(([code, s]) => `${code}: ${fmtInt((s as { count: number }).count)}`)
      .join(", ");
    const refusedDuring = Object.values(during.refused).reduce((a, b) => a + b, 0);
    ctx.log(
      `flood ${fmtInt(floodRps)} req/s (${codes}); /auth/me during it: p50 ${fmtMs(during.p50)}, ` +
        `p99 ${fmtMs(during.p99)}, not 200: ${JSON.stringify(during.refused)}`,
    );
    return [
      {
        name: "GET /auth/me p99, alone",
        value: alone.p99,
        unit: "ms",
        note: `p50 ${fmtMs(alone.p50)}, ${rate} req/s paced`,
      },
      {
        name: "GET /auth/me p99, under flood",
        value: during.p99,
        unit: "ms",
        baseline: { name: "alone", value: Math.max(1, alone.p99) },
        target: { max: 250 },
        note: `p50 ${fmtMs(during.p50)}, max ${fmtMs(during.max)}; beside ${fmtInt(floodRps)} req/s of /metrics + anonymous /v1 from ${connections} connections (${codes})`,
      },
      {
        name: "GET /auth/me not 200, under flood",
        value: refusedDuring,
        unit: "answers",
        target: { max: 0 },
        note: `of ${during.n}: ${JSON.stringify(during.refused)}`,
      },
    ];
  } finally {
    await server.close();
    await rt.close();
  }
}

export const bench: BenchModule = {
  description: "/auth/me latency and refusals for a signed-in client beside a /metrics and anonymous flood",
  run,
};
