/**
 * Redis faults under load, on a private redis-server (the shared one is never
 * touched): stopped outright, and frozen with SIGSTOP (the port stays open and
 * nothing answers). While it is away, logins and /auth/me keep answering in
 * normal time from the sessions rows, a revoked session stays refused, and
 * /ready answers 200 `degraded`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import { type PrivateRedis, REDIS_SERVER_BIN, startPrivateRedis } from "../../test/helpers/redis-server.ts";
import { type LiveRuntime, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { type App, createApp } from "../app.ts";
import { features } from "../features.ts";
import { client, PASSWORD } from "../identity/testing.ts";
import { buildRuntime, type Runtime } from "../runtime.ts";

interface Sample {
  kind: "login" | "me";
  ms: number;
  status: number;
}

// A request still unanswered after this is recorded as a hang (status 0), so the loop stays bounded.
const CAP_MS = 12_000;

async function timed(kind: Sample["kind"], run: () => Promise<{ status: number }>): Promise<Sample> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<{ status: number }>((r) => {
    timer = setTimeout(() => r({ status: 0 }), CAP_MS);
  });
  const { status } = await Promise.race([run(), cap]).finally(() => clearTimeout(timer));
  return { kind, ms: performance.now() - t0, status };
}

/**
 * For `ms` (bounded): one client logging in over and over, two calling /auth/me
 * with their tokens. Logins are argon2id-bound (one hash worker on two cores),
 * so they run one at a time and their latency is the hash's, not Redis'.
 */
async function load(api: ReturnType<typeof client>, tokens: string[], ms: number): Promise<Sample[]> {
  const until = performance.now() + ms;
  const samples: Sample[] = [];
  const logins = async () => {
    for (let i = 0; i < 100 && performance.now() < until; i++)
      samples.push(await timed("login", () => api.login("bob@example.com", PASSWORD)));
  };
  const me = async (token: string) => {
    for (let i = 0; i < 2000 && performance.now() < until; i++)
      samples.push(await timed("me", () => api.me(token)));
  };
  await Promise.all([logins(), ...tokens.map(me)]);
  return samples;
}

function summary(samples: Sample[]) {
  const of = (kind: Sample["kind"]) => samples.filter((s) => s.kind === kind).map((s) => s.ms);
  const stat = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const p = (q: number) =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { n: xs.length, p50: p(0.5), p99: p(0.99), max: Math.round(sorted.at(-1) ?? 0) };
  };
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[`${s.kind} ${s.status}`] = (statuses[`${s.kind} ${s.status}`] ?? 0) + 1;
  return { login: stat(of("login")), me: stat(of("me")), statuses };
}

// Postgres: the embedded database is one connection, so the load would measure its queue, not Redis.
const skipReason = !REDIS_SERVER_BIN
  ? "redis-server is not installed"
  : !TEST_DATABASE_URL
    ? "TEST_DATABASE_URL is not set"
    : undefined;
const suiteName = skipReason
  ? `Redis outage under load (skipped: ${skipReason})`
  : "Redis outage under load (Postgres, private redis-server)";

describe.skipIf(skipReason !== undefined)(suiteName, () => {
  let redis: PrivateRedis | undefined;
  let live: LiveRuntime | undefined;
  let other: Runtime | undefined;
  afterEach(async () => {
    redis?.thaw();
    await other?.close();
    await live?.close();
    await redis?.close();
    other = undefined;
    live = undefined;
    redis = undefined;
  });

  async function setup(): Promise<{ app: App; api: ReturnType<typeof client>; r: PrivateRedis }> {
    const r = await startPrivateRedis();
    redis = r;
    const prefix = `vigil-outage-${crypto.randomUUID()}`;
    live = await startLiveRuntime(
      {
        name: "private redis",
        env: () => ({
          REDIS_URL: r.url,
          REDIS_PREFIX: prefix,
        }),
        db: () => postgresDb(),
      },
      // The load logs in and calls /auth/me far more often than one account's policies allow.
      { RATE_LIMIT_LOGIN_PER_MINUTE: "100000", RATE_LIMIT_USER_PER_MINUTE: "100000" },
    );
    const app = createApp(live.rt.deps, features);
    const api = client(app);
    for (const email of ["ada@example.com", "bob@example.com", "cy@example.com"]) {
      expect((await api.register(email, PASSWORD)).status).toBe(201);
    }
    return { app, api, r };
  }

  async function ready(app: App) {
    const t0 = performance.now();
    const res = await app.request("/ready");
    return { status: res.status, ms: performance.now() - t0, body: await res.json() };
  }

  for (const fault of ["stopped", "frozen (SIGSTOP)"] as const) {
    it(`keeps logins and /auth/me in normal time while Redis is ${fault}, and revocation holds`, async () => {
      const { app, api, r } = await setup();
      const tokens = [
        (await api.login("ada@example.com", PASSWORD)).body!.accessToken,
        (await api.login("ada@example.com", PASSWORD)).body!.accessToken,
      ];
      const before = summary(await load(api, tokens, 2000));

      // A session to revoke during the outage, seen active by the guard beforehand.
      const victim = (await api.login("cy@example.com", PASSWORD)).body!;
      expect((await api.me(victim.accessToken)).status).toBe(200);

      if (fault === "stopped") await r.stop();
      else r.freeze();
      try {
        const during = summary(await load(api, tokens, 3000));
        const logout = await timed("me", () =>
          api.call("POST", "/v1/auth/logout", undefined, api.bearer(victim.accessToken)),
        );
        const refused = await api.me(victim.accessToken);
        const readiness = await ready(app);
        console.log(`Redis ${fault}:`, JSON.stringify({ before, during, logout, readiness }));

        expect(logout.status).toBe(204);
        expect(refused.status).toBe(401);
        expect(refused.body).toMatchObject({ code: "session_revoked" });
        expect(readiness.status).toBe(200);
        expect(readiness.body.status).toBe("ready");
        expect(Object.values(readiness.body.checks)).toContain("degraded");
        expect(readiness.body.checks.database).toBe("ok");
        expect(readiness.ms).toBeLessThan(1000);

        // Every request answered, none with a 5xx, none anywhere near the old multi-second hang.
        expect(Object.keys(during.statuses).sort()).toEqual(["login 200", "me 200"]);
        expect(during.login.max).toBeLessThan(3000);
        expect(during.me.max).toBeLessThan(1000);
        expect(logout.ms).toBeLessThan(1000);
      } finally {
        if (fault === "stopped") await r.start();
        else r.thaw();
      }

      // Redis back: the revocation made during the outage still holds, here and on another instance.
      const second = await buildRuntime(
        { ...envOf(live!.rt), NODE_ENV: "test" },
        { db: live!.rt.deps.db, skipMigrate: true },
      );
      other = second;
      const api2 = client(createApp(second.deps, features));
      await waitUntil(async () => (await ready(app)).body.checks?.session_guard === "ok");
      expect((await api.me(victim.accessToken)).status).toBe(401);
      expect((await api2.me(victim.accessToken)).status).toBe(401);

      // And with Redis up, a revocation on one instance is refused on the other at once.
      const fresh = (await api.login("cy@example.com", PASSWORD)).body!;
      expect((await api2.me(fresh.accessToken)).status).toBe(200);
      expect(
        (await api.call("POST", "/v1/auth/logout", undefined, api.bearer(fresh.accessToken))).status,
      ).toBe(204);
      expect((await api2.me(fresh.accessToken)).status).toBe(401);
    }, 120_000);
  }
});

function envOf(rt: Runtime): Record<string, string> {
  return { REDIS_URL: rt.config.redisUrl ?? "", REDIS_PREFIX: rt.config.redisPrefix };
}

async function waitUntil(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
