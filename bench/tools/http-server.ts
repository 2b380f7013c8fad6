/**
 * A Vigil app served alone, for profiling the per-request path with
 * `PROFILE_OUT=<file.cpuprofile> tsx bench/tools/http-server.ts` while a separate
 * autocannon process drives it (so the profile holds the server only). Built
 * as bench/auth.ts builds its app: real Postgres (a throwaway schema), Redis
 * SessionGuard and rate limits, the full global middleware stack, plus a hello
 * route. Prints `PORT=<n>` and `TOKEN=<access token>`, serves for
 * PROFILE_SECONDS (default 20), profiling only that time, and writes the profile.
 *
 * Env: BENCH_DATABASE_URL, BENCH_REDIS_URL, PROFILE_SECONDS.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createPostgresDb } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { uuidv7 } from "../../events/ids.ts";
import { createApp } from "../../src/app.ts";
import { createAuthServices } from "../../src/auth/services.ts";
import { identityFeature } from "../../src/identity/feature.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createRateLimiter } from "../../src/security/ratelimit/index.ts";
import { appStore, benchDeps, envNumber, helloFeature, registerUser, unlimitedConfig } from "../lib.ts";

const url = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/vigil_bench";
const redisUrl = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379";
const seconds = envNumber("PROFILE_SECONDS", 20);
const schema = `prof_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = createPostgresDb({ url, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const db = createPostgresDb({ url, schema, max: 32 });
await migrate(db);
const config = unlimitedConfig(redisUrl, "prof");
const logger = createLogger({ level: "warn" });
const clock = { now: () => new Date() };
const store = await appStore(db, config, clock);
const auth = await createAuthServices({ store, db, config, clock, logger });
const limits = await createRateLimiter(config, logger);
const deps = benchDeps({ config, db, store, logger, clock, rateLimiter: limits.limiter, auth });
const password = "plum-harbour-velvet-42";
const userId = uuidv7();
await registerUser(store, {
  userId,
  email: "prof@example.com",
  passwordHash: await auth.passwords.hash(password),
});
const app = createApp(deps, [identityFeature, helloFeature]);
const bare = new Hono();
bare.get("/hello", (c) => c.json({ hello: "world" }));
const which = process.env.PROFILE_APP === "bare" ? bare : app;
// CPU time per request is steadier than req/s on a shared machine.
let served = 0;
const server = serve({
  fetch: (req, env) => {
    served++;
    return which.fetch(req, env);
  },
  hostname: "127.0.0.1",
  port: 0,
});
await new Promise((r) => server.once("listening", r));
const { port } = server.address() as AddressInfo;
const login = await app.request(
  "/v1/auth/login",
  {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "prof@example.com", password }),
  },
  { incoming: { socket: { remoteAddress: "127.0.0.1" } } },
);
const { accessToken } = (await login.json()) as { accessToken: string };
console.log(`PORT=${port}`);
console.log(`TOKEN=${accessToken}`);
// Profile only the serving: not module loading, migrations or the login above.
const out = process.env.PROFILE_OUT;
const session = out ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const cpu0 = process.cpuUsage();
const served0 = served;
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const n = served - served0;
console.log(`SERVED=${n} CPU_US_PER_REQ=${n ? ((cpu.user + cpu.system) / n).toFixed(1) : "-"}`);
if (session && out) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(out, JSON.stringify(profile));
  session.disconnect();
}
await new Promise((done) => server.close(() => done(undefined)));
await limits.close();
await auth.close();
await db.close();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.close();
process.exit(0);
