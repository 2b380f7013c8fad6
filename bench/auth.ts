/**
 * Identity under load, over HTTP (@hono/node-server on 127.0.0.1, autocannon in
 * the same process), on real Postgres and Redis (SessionGuard and rate limits),
 * with argon2id at the configured (production) parameters:
 *
 * 1. POST /v1/auth/login/s with 16 concurrent clients, against the rate at
 *    which this machine verifies argon2id through the same hasher pool (16
 *    concurrent verifications): each login costs one verification, so the
 *    ratio says how much of the pool's capacity reaches the clients.
 * 2. GET /v1/auth/me req/s with a valid token, against a hello-world Hono route
 *    served the same way: mounted in Vigil's app, behind the same global
 *    middleware, on the same server, so the ratio is what authentication costs
 *    (bearer check, SessionGuard touch on Redis, per-user limit, one users row).
 *    A bare `new Hono()` hello world is printed too, for scale.
 *    The three run in alternating slices (BENCH_AUTH_ROUNDS, default 5), so
 *    each ratio compares the same stretches of the machine's time.
 * 3. p99 latency of GET /v1/auth/me at a steady rate while 16 login clients
 *    keep the hash pool saturated.
 *
 * The login rate limit and the per-user limit are set far above the load (every
 * response must be 2xx); users are many (BENCH_AUTH_USERS) and may hold 100
 * sessions, so neither lockout nor eviction plays a part.
 *
 * Module env: BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_AUTH_USERS
 * (default 400), BENCH_AUTH_CLIENTS (default 16), BENCH_CONNECTIONS (me/hello,
 * default 32), BENCH_AUTH_ROUNDS (slices of phase 2, default 5), BENCH_AUTH_ME_RATE (req/s during phase 3, default 500),
 * BENCH_AUTH_HASH_WORKERS (hashes at once; default the hasher's: one per core but
 * one in the child process), BENCH_AUTH_HASH_NICE (hashing's niceness 0..19; default 10),
 * BENCH_AUTH_HASH_BACKEND (auto, native or wasm; default auto), BENCH_AUTH_HASH_RUNNER
 * (process or threads; default: the hasher's own choice, a child process for native on Node).
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import autocannon from "autocannon";
import { Hono } from "hono";
import { uuidv7 } from "../events/ids.ts";
import { createApp } from "../src/app.ts";
import { createAuthServices } from "../src/auth/services.ts";
import {
  HASH_BACKENDS,
  type HashBackendChoice,
  type HashRunnerKind,
  type PasswordHasher,
  WORKER_NICE,
} from "../src/crypto/password.ts";
import { identityFeature } from "../src/identity/feature.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createRateLimiter } from "../src/security/ratelimit/index.ts";
import {
  appStore,
  type BenchContext,
  type BenchModule,
  benchDeps,
  envNumber,
  fmtInt,
  fmtMs,
  helloFeature,
  type ResultRow,
  registerUser,
  runFor,
  unlimitedConfig,
} from "./lib.ts";

const PASSWORD = "plum-harbour-velvet-42";

interface Server {
  base: string;
  close(): Promise<void>;
}

function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<Server> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

type Load = { rps: number; p50: number; p99: number; total: number; seconds: number };

async function load(opts: autocannon.Options, what: string): Promise<Load> {
  const r = await autocannon(opts);
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    seconds: r.duration,
  };
}

/**
 * Runs the loads in turn, `rounds` times over, each for its share of `seconds`,
 * and sums each load's slices. This machine's speed drifts by tens of percent
 * within a minute; measured one after another, a ratio compared two different
 * machines (once 0.35× where the slices agreed on 0.6×). The p50 and p99 given
 * are the slices' worst.
 */
async function alternating(
  loads: { what: string; opts: (seconds: number) => autocannon.Options }[],
  seconds: number,
  rounds: number,
): Promise<Load[]> {
  const slice = Math.max(1, Math.round(seconds / rounds));
  const sums = loads.map(() => ({ rps: 0, p50: 0, p99: 0, total: 0, seconds: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, { what, opts }] of loads.entries()) {
      const r = await load(opts(slice), what);
      const sum = sums[i]!;
      sum.total += r.total;
      sum.seconds += r.seconds;
      sum.p50 = Math.max(sum.p50, r.p50);
      sum.p99 = Math.max(sum.p99, r.p99);
    }
  }
  for (const sum of sums) sum.rps = sum.total / sum.seconds;
  return sums;
}

/**
 * An open-loop probe: `rate` requests/s spread evenly (every 5 ms a slice), each
 * timed alone, so a slow answer never delays the next request (autocannon's
 * rate mode sends each second's quota in a burst and back-fills latencies). The
 * rate is kept by the clock, and each latency counts from when the request was
 * due, so a busy event loop (server and probe share it) can neither lower the
 * load nor hide its own delay.
 */
async function paced(url: string, headers: Record<string, string>, rate: number, seconds: number) {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const tickMs = 5;
  let sent = 0;
  const start = performance.now();
  for (let elapsed = 0; elapsed < seconds * 1000; elapsed = performance.now() - start) {
    // Owed by the clock, not by the number of ticks: a late timer (a busy event
    // loop) must not lower the rate the server is asked to serve.
    for (const owed = Math.floor((rate * elapsed) / 1000); sent < owed; sent++) {
      // Timed from the tick that would have sent it had the timer been on time: an
      // external client would not have waited for this process's loop either.
      const due = Math.ceil((sent * 1000) / rate / tickMs) * tickMs;
      const t0 = Math.min(performance.now(), start + due);
      inflight.push(
        fetch(url, { headers }).then(async (res) => {
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`paced probe: ${res.status}`);
          latencies.push(performance.now() - t0);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99) };
}

/** CPU time this process has used, every thread, and the hashing child process's, in ms. */
async function cpuMs(passwords: PasswordHasher): Promise<number> {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000 + (await passwords.externalCpuMs());
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const redisUrl = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";
  const users = envNumber("BENCH_AUTH_USERS", 400);
  const clients = envNumber("BENCH_AUTH_CLIENTS", 16);
  const connections = envNumber("BENCH_CONNECTIONS", 32);
  const meRate = envNumber("BENCH_AUTH_ME_RATE", 500);
  const rounds = Math.max(1, envNumber("BENCH_AUTH_ROUNDS", 5));
  const { seconds, warmupSeconds: warmup } = ctx;
  const config = unlimitedConfig(redisUrl, "bench", { MAX_SESSIONS_PER_USER: "100" });
  const logger = createLogger({ level: "warn" });
  const clock = { now: () => new Date() };
  const store = await appStore(ctx.db, config, clock);
  // Default argon2id parameters, pool size (defaultPoolSize) and hashing priority
  // (WORKER_NICE): what production runs. The knobs are for comparing pool set-ups.
  const hashWorkers = envNumber("BENCH_AUTH_HASH_WORKERS", 0);
  const hashNice = envNumber("BENCH_AUTH_HASH_NICE", -1);
  const hashBackend = process.env.BENCH_AUTH_HASH_BACKEND ?? "auto";
  if (!(HASH_BACKENDS as readonly string[]).includes(hashBackend))
    throw new Error("BENCH_AUTH_HASH_BACKEND must be auto, native or wasm");
  const hashRunner = process.env.BENCH_AUTH_HASH_RUNNER || undefined;
  if (hashRunner !== undefined && hashRunner !== "process" && hashRunner !== "threads")
    throw new Error("BENCH_AUTH_HASH_RUNNER must be process or threads");
  const auth = await createAuthServices({
    store,
    db: ctx.db,
    config,
    clock,
    logger,
    passwordOptions: {
      ...(hashWorkers > 0 ? { poolSize: hashWorkers } : {}),
      ...(hashNice >= 0 ? { workerNice: hashNice } : {}),
      backend: hashBackend as HashBackendChoice,
      runner: hashRunner as HashRunnerKind | undefined,
    },
  });
  const limits = await createRateLimiter(config, logger);
  const deps = benchDeps({ config, db: ctx.db, store, logger, clock, rateLimiter: limits.limiter, auth });
  const servers: Server[] = [];
  try {
    // Users registered straight into the log, sharing one hash (one argon2 run instead of hundreds).
    const passwordHash = await auth.passwords.hash(PASSWORD);
    const emails = Array.from({ length: users }, (_, i) => `bench-${i}@example.com`);
    for (const email of emails) {
      await registerUser(store, { userId: uuidv7(), email, passwordHash });
    }
    const vigil = await listen(createApp(deps, [identityFeature, helloFeature]).fetch);
    const bare = new Hono();
    bare.get("/hello", (c) => c.json({ hello: "world" }));
    const plain = await listen(bare.fetch);
    servers.push(vigil, plain);
    ctx.log(
      `${users} users, argon2id (${auth.passwords.backend}, ${auth.passwords.runner}) ` +
        `pool of ${auth.passwords.stats().size} workers ` +
        `(nice ${hashNice >= 0 ? hashNice : WORKER_NICE}); redis ${redisUrl}; ` +
        `${clients} login clients, ${connections} connections for reads`,
    );

    // (1) baseline: verifications/s through the same pool, as many in flight as login clients.
    // CPU time per operation (this process's threads and the hashing child's) is printed beside the rates:
    // it hardly depends on what else the machine runs, the rates do.
    let verified = 0;
    const verifyCpu = await cpuMs(auth.passwords);
    const verifying = await runFor({
      workers: clients,
      seconds,
      warmupSeconds: warmup,
      op: async () => {
        const ok = await auth.passwords.verify(passwordHash, PASSWORD);
        verified++;
        return ok ? 1 : 0;
      },
    });
    const cpuPerVerify = ((await cpuMs(auth.passwords)) - verifyCpu) / verified;
    ctx.log(
      `argon2id verify through the pool: ${verifying.opsPerSec.toFixed(1)}/s, ${cpuPerVerify.toFixed(0)} ms CPU each`,
    );
    let n = 0;
    const loginOpts = (duration: number): autocannon.Options => ({
      url: vigil.base,
      connections: clients,
      duration,
      // Past the server's own request timeout: a slow login is answered (2xx or 503), not dropped.
      timeout: 30,
      requests: [
        {
          method: "POST",
          path: "/v1/auth/login",
          headers: { "content-type": "application/json" },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ email: emails[n++ % emails.length], password: PASSWORD }),
          }),
        },
      ],
    });
    await load(loginOpts(warmup), "login warm-up");
    const loginCpu = await cpuMs(auth.passwords);
    const logins = await load(loginOpts(seconds), "login");
    const cpuPerLogin = ((await cpuMs(auth.passwords)) - loginCpu) / Math.max(1, logins.total);
    ctx.log(
      `logins: ${logins.rps.toFixed(1)}/s, p50 ${logins.p50} ms, p99 ${logins.p99} ms, ` +
        `${cpuPerLogin.toFixed(0)} ms CPU each (server and load generator, not Postgres or Redis)`,
    );

    // (2) /auth/me with a valid token vs hello world.
    const session = (await (
      await fetch(`${vigil.base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: emails[0], password: PASSWORD }),
      })
    ).json()) as { accessToken: string };
    const meOpts = (duration: number, extra: Partial<autocannon.Options> = {}): autocannon.Options => ({
      url: `${vigil.base}/v1/auth/me`,
      connections,
      duration,
      headers: { authorization: `Bearer ${session.accessToken}` },
      ...extra,
    });
    const helloOpts = (url: string, duration: number): autocannon.Options => ({ url, connections, duration });
    // Each side of each ratio is warmed up (the JIT compiles what it runs), not only the bare one.
    await load(helloOpts(`${plain.base}/hello`, warmup), "hello warm-up");
    await load(helloOpts(`${vigil.base}/v1/bench/hello`, warmup), "hello warm-up (Vigil stack)");
    await load(meOpts(warmup), "me warm-up");
    const [bareHello, stackHello, me] = (await alternating(
      [
        { what: "hello (bare Hono)", opts: (d) => helloOpts(`${plain.base}/hello`, d) },
        { what: "hello (Vigil stack)", opts: (d) => helloOpts(`${vigil.base}/v1/bench/hello`, d) },
        { what: "me", opts: (d) => meOpts(d) },
      ],
      seconds,
      rounds,
    )) as [Load, Load, Load];
    ctx.log(
      `hello bare ${fmtInt(bareHello.rps)} req/s, hello through Vigil's stack ${fmtInt(stackHello.rps)} req/s, ` +
        `/auth/me ${fmtInt(me.rps)} req/s (p99 ${me.p99} ms)`,
    );

    // (3) /auth/me latency at a steady rate while logins keep the pool saturated.
    // The probe's own connections are opened before it measures (autocannon's are, in its warm-up).
    await paced(`${vigil.base}/v1/auth/me`, { authorization: `Bearer ${session.accessToken}` }, meRate, 1);
    const before = auth.passwords.stats();
    const [underLoad, loginsDuring] = await Promise.all([
      paced(`${vigil.base}/v1/auth/me`, { authorization: `Bearer ${session.accessToken}` }, meRate, seconds),
      load(loginOpts(seconds + 1), "logins during me"),
    ]);
    const after = auth.passwords.stats();
    ctx.log(
      `under ${loginsDuring.rps.toFixed(1)} logins/s: /auth/me p50 ${fmtMs(underLoad.p50)}, p99 ${fmtMs(underLoad.p99)} ` +
        `at ${fmtInt(underLoad.rps)} req/s; pool busy ${before.busy}->${after.busy}, queued ${before.queued}->${after.queued}`,
    );

    return [
      { name: "argon2id verify, same pool", value: verifying.opsPerSec, unit: "/s" },
      {
        name: `POST /auth/login, ${clients} clients`,
        value: logins.rps,
        unit: "/s",
        baseline: { name: "argon2 /s", value: verifying.opsPerSec },
        target: { ratio: 0.85 },
        note:
          `p50 ${fmtMs(logins.p50)}, p99 ${fmtMs(logins.p99)}; ${users} users, default argon2id (m=19456, t=2, p=1); ` +
          `process CPU ${cpuPerLogin.toFixed(0)} ms per login, ${cpuPerVerify.toFixed(0)} ms per verification`,
      },
      { name: "GET hello, bare Hono", value: bareHello.rps, unit: "req/s" },
      {
        name: "GET hello, Vigil's middleware stack",
        value: stackHello.rps,
        unit: "req/s",
        baseline: { name: "bare", value: bareHello.rps },
        target: { ratio: 0.5 },
      },
      {
        name: "GET /auth/me, valid token",
        value: me.rps,
        unit: "req/s",
        // The same app, server and global middleware: the ratio is what authentication costs.
        baseline: { name: "hello, same stack", value: stackHello.rps },
        target: { ratio: 0.6 },
        note: `p99 ${fmtMs(me.p99)} (worst of ${rounds} slices); ${fmtInt(me.total)} requests, all 2xx; Redis SessionGuard + per-user limit charged once (no IP peek), one users row read`,
      },
      {
        name: "GET /auth/me p99 during logins",
        value: underLoad.p99,
        unit: "ms",
        target: { max: 25 },
        note: `${fmtInt(underLoad.rps)} req/s of /auth/me, paced (open loop), beside ${loginsDuring.rps.toFixed(1)} logins/s; p50 ${fmtMs(underLoad.p50)}`,
      },
    ];
  } finally {
    // autocannon stops without waiting for answers: let the requests in hand finish first.
    for (let i = 0; i < 100 && auth.passwords.stats().busy + auth.passwords.stats().queued > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(servers.map((s) => s.close()));
    await limits.close();
    await auth.close();
  }
}

export const bench: BenchModule = {
  description:
    "Identity: logins/s vs argon2id capacity, /auth/me vs hello world, /auth/me p99 under login load",
  run,
};
