/**
 * Test databases. Every suite runs on PGlite (in memory, migrated); suites that
 * also call `forEachDb` run again on real Postgres when TEST_DATABASE_URL is set,
 * each in a schema of its own that is dropped afterwards.
 */
import { PGlite } from "@electric-sql/pglite";
import { createPostgresDb, type Db, wrapPglite } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

// One migrated PGlite per test worker; every test gets a clone of it, which is
// far cheaper than starting and migrating a new one.
let template: Promise<PGlite> | undefined;

export async function pgliteDb(): Promise<Db> {
  template ??= (async () => {
    const pg = await PGlite.create();
    await migrate(wrapPglite(pg));
    return pg;
  })();
  return wrapPglite(await (await template).clone());
}

/** A fresh, migrated schema on the real server; `close` drops it. */
export async function postgresDb(opts: { max?: number } = {}): Promise<Db> {
  if (!TEST_DATABASE_URL) throw new Error("TEST_DATABASE_URL is not set");
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = createPostgresDb({ url: TEST_DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = createPostgresDb({ url: TEST_DATABASE_URL, schema, max: opts.max ?? 10 });
  await migrate(db);
  return {
    ...db,
    async close() {
      await db.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

export interface DbCase {
  name: "pglite" | "postgres";
  make: () => Promise<Db>;
}

/** PGlite always; real Postgres too when TEST_DATABASE_URL is set. */
export function dbCases(): DbCase[] {
  const cases: DbCase[] = [{ name: "pglite", make: pgliteDb }];
  if (TEST_DATABASE_URL) cases.push({ name: "postgres", make: () => postgresDb() });
  return cases;
}

/**
 * Waits until every event committed so far is past the read fence. The fence is
 * server-wide: an open transaction in another test file (another schema, even)
 * holds `readAll` back, so a test that reads right after committing settles first.
 */
export async function settle(db: Db, timeoutMs = 30_000): Promise<void> {
  const [last] = await db.query<{ tx: string }>(
    "SELECT tx_id::text AS tx FROM events ORDER BY tx_id DESC LIMIT 1",
  );
  if (!last) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query<{ ok: boolean }>(
      "SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS ok",
      [last.tx],
    );
    if (row?.ok) return;
    if (Date.now() > deadline) throw new Error("an open transaction kept the log's fence back");
    await new Promise((r) => setTimeout(r, 10));
  }
}
