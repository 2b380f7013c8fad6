/**
 * Phase 2 of bench/auth.ts alone, repeated: bare Hono hello, hello through
 * Vigil's stack and `GET /v1/auth/me`, autocannon in the same process (as the
 * bench runs it), without the login phases, for iterating on the per-request
 * path: `tsx bench/tools/stack-ratio.ts`. Prints each round's figures and ratios.
 *
 * Env: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_SECONDS (per phase, default 5),
 * BENCH_CONNECTIONS (default 32), ROUNDS (default 2), ONLY (bare, hello or me:
 * drive just that one), LIMITER=memory (rate limits in this process instead of
 * Redis, to see Redis' share), PROFILE_OUT (with ONLY: write a .cpuprofile of the
 * measured rounds, load generator included, as the bench runs it).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import autocannon from "autocannon";
import { Hono } from "hono";
import { createPostgresDb } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { uuidv7 } from "../../events/ids.ts";
import { createApp } from "../../src/app.ts";
import { createAuthServices } from "../../src/auth/services.ts";
import { identityFeature } from "../../src/identity/feature.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createRateLimiter, memoryLimiter } from "../../src/security/ratelimit/index.ts";
import {
  appStore,
  benchDeps,
  ensureDatabase,
  envNumber,
  helloFeature,
  registerUser,
  unlimitedConfig,
} from "../lib.ts";

const url = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/vigil_bench";
const redisUrl = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";
const seconds = envNumber("BENCH_SECONDS", 5);
const connections = envNumber("BENCH_CONNECTIONS", 32);
const rounds = envNumber("ROUNDS", 2);
const only = process.env.ONLY;
const schema = `ratio_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
await ensureDatabase(url);
const admin = createPostgresDb({ url, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const db = createPostgresDb({ url, schema, max: 32 });
await migrate(db);
const config = unlimitedConfig(redisUrl, "ratio", { MAX_SESSIONS_PER_USER: "100" });
const logger = createLogger({ level: "warn" });
const clock = { now: () => new Date() };
const store = await appStore(db, config, clock);
const auth = await createAuthServices({ store, db, config, clock, logger });
const limits = await createRateLimiter(config, logger);
const rateLimiter =
  process.env.LIMITER === "none"
    ? undefined
    : process.env.LIMITER === "memory"
      ? memoryLimiter()
      : limits.limiter;
const deps = benchDeps({ config, db, store, logger, clock, rateLimiter, auth });
const password = "plum-harbour-velvet-42";
const userId = uuidv7();
await registerUser(store, {
  userId,
  email: "ratio@example.com",
  passwordHash: await auth.passwords.hash(password),
});

function listen(fetch: (req: Request, env?: unknown) => Response | Promise<Response>) {
  const server = serve({ fetch, hostname: "127.0.0.1", port: 0 });
  return new Promise<{ base: string; close(): Promise<void> }>((resolve) =>
    server.once("listening", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    }),
  );
}

const vigil = await listen(createApp(deps, [identityFeature, helloFeature]).fetch);
const bare = new Hono();
bare.get("/hello", (c) => c.json({ hello: "world" }));
const plain = await listen(bare.fetch);
const login = await fetch(`${vigil.base}/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "ratio@example.com", password }),
});
const { accessToken } = (await login.json()) as { accessToken: string };
const bearer = { authorization: `Bearer ${accessToken}` };

/** CPU µs per request of this process (server and load generator) of the last `rps` run: steadier than req/s on a shared machine. */
let cpuPerRequest = 0;

async function rps(target: string, headers: Record<string, string>, duration: number): Promise<number> {
  const cpu = process.cpuUsage();
  const r = await autocannon({
    url: target,
    connections,
    duration,
    headers,
    ...(process.env.WORKERS ? { workers: Number(process.env.WORKERS) } : {}),
  });
  const used = process.cpuUsage(cpu);
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
    throw new Error(`${target}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  cpuPerRequest = (used.user + used.system) / Math.max(1, r.requests.total);
  return r.requests.total / r.duration;
}

const us = () => `${cpuPerRequest.toFixed(0)} µs CPU`;

const targets = {
  bare: [`${plain.base}/hello`, {}],
  hello: [`${vigil.base}/v1/bench/hello`, {}],
  me: [`${vigil.base}/v1/auth/me`, bearer],
} as const;

for (const [t, h] of Object.values(targets)) await rps(t, h, 1);
const out = only ? process.env.PROFILE_OUT : undefined;
const session = out ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
for (let i = 0; i < rounds; i++) {
  if (only) {
    const [t, h] = targets[only as keyof typeof targets];
    console.log(`${only}: ${(await rps(t, h, seconds)).toFixed(0)} req/s, ${us()}`);
    continue;
  }
  const b = await rps(...targets.bare, seconds);
  const bUs = us();
  const s = await rps(...targets.hello, seconds);
  const sUs = us();
  const m = await rps(...targets.me, seconds);
  console.log(
    `bare ${b.toFixed(0)} (${bUs})  hello ${s.toFixed(0)} (${(s / b).toFixed(2)}x, ${sUs})  ` +
      `me ${m.toFixed(0)} (${(m / s).toFixed(2)}x hello, ${us()})`,
  );
}
if (session && out) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(out, JSON.stringify(profile));
  session.disconnect();
}
// autocannon stops without waiting for answers: let the requests in hand finish first.
await new Promise((r) => setTimeout(r, 500));
await Promise.all([vigil.close(), plain.close()]);
await limits.close();
await auth.close();
await db.close();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.close();
process.exit(0);
