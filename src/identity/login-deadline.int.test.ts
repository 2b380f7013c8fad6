/**
 * A request deadline passing in the middle of a login, on real Postgres: the
 * answer is either 503 with nothing committed (no LoginSucceeded, no
 * SessionStarted, no sessions row), or 200 with working tokens. Never a 503
 * with committed work behind it. The slow step is a real `pg_sleep` inside the
 * login transaction, a slow password check before it, or a slow step after
 * the commit.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db, Sql } from "../../db/client.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import { type App, createApp } from "../app.ts";
import { identityFeature } from "./feature.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "./testing.ts";

type Hook = "before-login-event" | "before-session-event" | "before-commit" | null;

/** The database, with a pg_sleep injected into login transactions at `hook.at`. */
function slowDb(inner: Db, hook: { at: Hook; seconds: number }): Db {
  const sleep = (tx: Sql) => tx.query("SELECT pg_sleep($1::float8)", [hook.seconds]);
  const hooked = (tx: Sql): Sql => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      if (text.includes("vigil_append")) {
        const stream = String(params?.[0] ?? "");
        if (hook.at === "before-login-event" && stream.startsWith("user-")) await sleep(tx);
        if (hook.at === "before-session-event" && stream.startsWith("session-")) await sleep(tx);
      }
      return tx.query<T>(text, params);
    },
  });
  return {
    ...inner,
    query: inner.query,
    transaction: (fn) =>
      inner.transaction(async (tx) => {
        const out = await fn(hooked(tx));
        // Only login transactions (they append LoginSucceeded) sleep before COMMIT.
        if (hook.at === "before-commit") await sleep(tx);
        return out;
      }),
  };
}

/** The request deadline of the app under test; slow steps are placed on both sides of it. */
const DEADLINE_MS = 1500;

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: number }>(sql, params))[0]?.n ?? 0);

describe.runIf(TEST_DATABASE_URL)("a deadline in the middle of a login (Postgres)", () => {
  let pg: Db;
  let h: IdentityHarness;
  /** The same app with a DEADLINE_MS request deadline (registration ran under the default). */
  let app: App;
  let baseline: { loginSucceeded: number; sessionStarted: number; sessions: number };
  const hook: { at: Hook; seconds: number } = { at: null, seconds: 0 };

  beforeEach(async () => {
    hook.at = null;
    pg = await postgresDb();
    h = await identityHarness({ db: slowDb(pg, hook) });
    expect((await client(h.app).register("ada@example.com", PASSWORD)).status).toBe(201);
    app = createApp({ ...h.deps, config: { ...h.deps.config, requestTimeoutMs: DEADLINE_MS } }, [
      identityFeature,
    ]);
    // Warm up (first hashing, first JWT key load), so only the injected step is slow.
    expect((await client(h.app).login("ada@example.com", PASSWORD)).status).toBe(200);
    baseline = await committed();
  });
  afterEach(async () => {
    await h.close();
    await pg.close();
  });

  const committed = async () => ({
    loginSucceeded: await count(pg, "SELECT count(*) AS n FROM events WHERE type = 'LoginSucceeded'"),
    sessionStarted: await count(pg, "SELECT count(*) AS n FROM events WHERE type = 'SessionStarted'"),
    sessions: await count(pg, "SELECT count(*) AS n FROM sessions"),
  });
  /** What was committed since the warm-up login. */
  const grown = async () => {
    const now = await committed();
    return {
      loginSucceeded: now.loginSucceeded - baseline.loginSucceeded,
      sessionStarted: now.sessionStarted - baseline.sessionStarted,
      sessions: now.sessions - baseline.sessions,
    };
  };
  /** Lets a handler that was answered 503 finish unwinding before the log is inspected. */
  const unwind = () => new Promise((r) => setTimeout(r, 300));

  for (const at of ["before-login-event", "before-session-event", "before-commit"] as const) {
    it(`pg_sleep ${at}: 503 request_timeout at the deadline, the sleep cancelled, nothing committed`, async () => {
      hook.at = at;
      hook.seconds = 8;
      const started = performance.now();
      const res = await client(app).login("ada@example.com", PASSWORD);
      const elapsed = performance.now() - started;
      expect(res.status).toBe(503);
      expect(res.body!.code).toBe("request_timeout");
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      // Answered at the deadline, not after the 8 s sleep.
      expect(elapsed).toBeLessThan(6000);
      await unwind();
      // The cancel reached the server: no backend of this database is still sleeping.
      expect(
        await count(
          pg,
          "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()",
        ),
      ).toBe(0);
      expect(await grown()).toEqual({ loginSucceeded: 0, sessionStarted: 0, sessions: 0 });
      // Nothing was left half-done: the next login works.
      hook.at = null;
      expect((await client(app).login("ada@example.com", PASSWORD)).status).toBe(200);
    });
  }

  it("a slow password check before the transaction: 503, and the late handler commits nothing", async () => {
    const passwords = h.deps.auth.passwords;
    const verify = passwords.verify.bind(passwords);
    passwords.verify = async (hash, password) => {
      await new Promise((r) => setTimeout(r, DEADLINE_MS + 500));
      return verify(hash, password);
    };
    const res = await client(app).login("ada@example.com", PASSWORD);
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await grown()).toEqual({ loginSucceeded: 0, sessionStarted: 0, sessions: 0 });
    expect(await count(pg, "SELECT count(*) AS n FROM events WHERE type = 'LoginFailed'")).toBe(0);
  });

  it("the deadline passes after the commit: 200 with tokens that work, not 503", async () => {
    const devices = h.deps.auth.devices;
    const issue = devices.issue.bind(devices);
    devices.issue = async (userId) => {
      await new Promise((r) => setTimeout(r, DEADLINE_MS + 500));
      return issue(userId);
    };
    const c = client(app);
    const res = await c.login("ada@example.com", PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body!.accessToken).toBeTypeOf("string");
    expect((await c.me(res.body!.accessToken)).status).toBe(200);
    expect(await grown()).toEqual({ loginSucceeded: 1, sessionStarted: 1, sessions: 1 });
  });

  it("random sleeps around the deadline: every 503 left nothing, every 200 left exactly its session", async () => {
    const c = client(app);
    const points: Hook[] = ["before-login-event", "before-session-event", "before-commit", null];
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      hook.at = points[i % points.length]!;
      // Around the deadline, on both sides of it.
      hook.seconds = [0.05, 1.2, 1.45, 1.55, 1.8, 2.5].map((f) => (f * DEADLINE_MS) / 1500)[i % 6]!;
      const before = await committed();
      const res = await c.login("ada@example.com", PASSWORD);
      seen.add(res.status);
      expect([200, 503]).toContain(res.status);
      if (res.status === 503) await unwind();
      const after = await committed();
      const grew = after.sessionStarted - before.sessionStarted;
      if (res.status === 200) {
        expect(grew).toBe(1);
        expect(
          await count(pg, "SELECT count(*) AS n FROM sessions WHERE session_id = $1", [res.body!.sessionId]),
        ).toBe(1);
      } else {
        expect(grew).toBe(0);
        expect(after.loginSucceeded).toBe(before.loginSucceeded);
      }
    }
    // Sleeps past the deadline always time out; short ones answer 200 unless the machine is starved.
    expect(seen.has(503)).toBe(true);
  });
});
