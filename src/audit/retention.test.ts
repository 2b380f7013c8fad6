import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { createEventStore } from "../../events/store.ts";
import { verifyProjections } from "../../projections/rebuild.ts";
import { inc, meta, testCatalog } from "../../test/fixtures/events.ts";
import { countersInline, createCounterTables } from "../../test/fixtures/projections.ts";
import { dbCases, pgliteDb } from "../../test/helpers/db.ts";
import { loadConfig } from "../config.ts";
import { pruneOnce, retentionExclusions } from "./retention.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const H = (n: number) => String(n).padStart(64, "0");

async function count(db: Db, table: string): Promise<string[]> {
  const key =
    { sessions: "session_id", refresh_tokens: "token_hash", email_tokens: "token_hash" }[table] ?? "";
  const rows = await db.query<{ k: string }>(
    `SELECT ${key || "event_id"}::text AS k FROM ${table} ORDER BY 1`,
  );
  return rows.map((r) => r.k);
}

// The first PGlite is migrated once per worker; on a busy machine that alone can take a while.
beforeAll(async () => {
  await (await pgliteDb()).close();
}, 180_000);

for (const c of dbCases()) {
  describe(`retention (${c.name})`, () => {
    let db: Db | undefined;
    afterEach(async () => {
      await db?.close();
    });

    it("prunes operational rows past their age, keeps the rest, and never touches the log", async () => {
      db = await c.make();
      // An old event: the log is never pruned, whatever its age.
      const store = createEventStore({ db, catalog: testCatalog(), now: () => new Date(daysAgo(3000)) });
      await store.append("counter-old", "no_stream", [inc()], meta);
      const signal = (n: number, type: string, at: string) =>
        db!.query(
          `INSERT INTO security_signals (event_id, stream_id, stream_version, type, at, ip, account)
           VALUES ($1, 'user-x', $2, $3, $4, '203.0.113.9', NULL)`,
          [uuid(n), n, type, at],
        );
      await signal(1, "LoginFailed", daysAgo(100)); // past 90 days: gone
      await signal(2, "LoginFailed", daysAgo(10)); // kept
      await signal(3, "RateLimitExceeded", daysAgo(40)); // rate-limit evidence past 30 days: gone
      await signal(4, "RateLimitExceeded", daysAgo(5)); // kept

      const session = (n: number, expires: string, revoked: string | null) =>
        db!.query(
          `INSERT INTO sessions (session_id, user_id, created_at, last_seen_at, ip, user_agent, expires_at,
                                 revoked_at, revoke_reason, refresh_token_hash, version)
           VALUES ($1, $2, $3, $3, NULL, NULL, $4, $5, $6, $7, 1)`,
          [uuid(n), uuid(99), daysAgo(400), expires, revoked, revoked ? "logout" : null, H(n)],
        );
      await session(11, daysAgo(31), null); // expired 31 days ago: gone
      await session(12, daysAgo(-5), daysAgo(40)); // revoked 40 days ago: gone
      await session(13, daysAgo(-5), null); // live: kept
      await session(14, daysAgo(2), null); // expired recently: kept
      for (const s of [11, 12, 13]) {
        await db.query(
          "INSERT INTO refresh_tokens (token_hash, session_id, spent, expires_at) VALUES ($1, $2, false, $3)",
          [H(100 + s), uuid(s), daysAgo(-5)],
        );
      }

      const token = (n: number, status: string, expires: string, closed: string | null) =>
        db!.query(
          `INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at, status, closed_at)
           VALUES ($1, $2, 'verify_email', 'a@example.com', $3, $4, $5, $6)`,
          [H(200 + n), uuid(99), daysAgo(30), expires, status, closed],
        );
      await token(1, "used", daysAgo(-1), daysAgo(8)); // used 8 days ago: gone
      await token(2, "pending", daysAgo(8), null); // expired 8 days ago: gone
      await token(3, "pending", daysAgo(-1), null); // kept
      await token(4, "used", daysAgo(-1), daysAgo(1)); // used yesterday: kept
      await db.query(
        `INSERT INTO mfa_challenges (challenge_hash, user_id, device_trusted, expires_at, used_at)
         VALUES ($1, $2, false, $3, NULL), ($4, $2, false, $5, NULL)`,
        [H(301), uuid(99), daysAgo(3), H(302), daysAgo(-1)],
      );

      const config = loadConfig({ NODE_ENV: "test" }).retention;
      // What replay --verify leaves out is exactly what pruning deletes.
      const excluded: Record<string, number> = {};
      for (const [table, where] of Object.entries(retentionExclusions(config, NOW))) {
        excluded[table] = (
          await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`)
        )[0]!.n;
      }
      const report = await pruneOnce(db, config, NOW);
      expect(Object.fromEntries(report.map((r) => [r.table, r.deleted]))).toEqual(excluded);
      expect(Object.fromEntries(report.map((r) => [r.table, r.deleted]))).toEqual({
        security_signals: 2,
        refresh_tokens: 2,
        sessions: 2,
        email_tokens: 2,
        mfa_challenges: 1,
      });
      expect(await count(db, "security_signals")).toEqual([uuid(2), uuid(4)]);
      expect(await count(db, "sessions")).toEqual([uuid(13), uuid(14)]);
      expect(await count(db, "refresh_tokens")).toEqual([H(113)]);
      expect(await count(db, "email_tokens")).toEqual([H(203), H(204)]);
      expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events"))[0]?.n).toBe(1);
      // Idempotent: a second pass finds nothing.
      expect((await pruneOnce(db, config, NOW)).every((r) => r.deleted === 0)).toBe(true);
    });
  });
}

describe("replay --verify after pruning", () => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it("leaves the rows retention pruned out of the comparison, and still sees every other difference", async () => {
    db = await pgliteDb();
    await createCounterTables(db);
    const store = createEventStore({ db, catalog: testCatalog(), inline: [countersInline] });
    await store.append("counter-a", "no_stream", [inc(2)], meta);
    await store.append("counter-b", "no_stream", [inc(3)], meta);
    await db.query("DELETE FROM counters WHERE stream_id = 'counter-a'");
    const verify = (ignore?: Record<string, string>) =>
      verifyProjections({ db: db!, store }, [countersInline], { ignore });
    expect((await verify()).map((d) => d.onlyRebuilt.length)).toEqual([1]);
    expect(await verify({ counters: "stream_id = 'counter-a'" })).toEqual([]);
    await db.query("UPDATE counters SET total = 99 WHERE stream_id = 'counter-b'");
    expect((await verify({ counters: "stream_id = 'counter-a'" })).map((d) => d.onlyLive.length)).toEqual([
      1,
    ]);
  });
});
