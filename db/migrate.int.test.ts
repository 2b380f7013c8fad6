/** Two instances starting together must not both migrate: real Postgres only. */
import { afterEach, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL } from "../test/helpers/db.ts";
import { createPostgresDb, type Db } from "./client.ts";
import { loadMigrations, migrate } from "./migrate.ts";

describe.runIf(TEST_DATABASE_URL)("migrations on real Postgres (set TEST_DATABASE_URL to run)", () => {
  const schema = `t_mig_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const opened: Db[] = [];
  const open = () => {
    const db = createPostgresDb({ url: TEST_DATABASE_URL!, schema, max: 2 });
    opened.push(db);
    return db;
  };
  afterEach(async () => {
    await opened[0]?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await Promise.all(opened.map((db) => db.close()));
  });

  it("applies each migration once when several instances start at the same moment", async () => {
    await open().query(`CREATE SCHEMA ${schema}`);
    const results = await Promise.all([open(), open(), open(), open()].map((db) => migrate(db)));
    const all = (await loadMigrations()).map((m) => m.tag);
    // Exactly one instance applied everything; the others waited on the lock and found nothing to do.
    expect(results.filter((r) => r.length > 0)).toEqual([all]);
    const rows = await opened[0]!.query<{ tag: string }>("SELECT tag FROM vigil_migrations ORDER BY tag");
    expect(rows.map((r) => r.tag)).toEqual(all);
    expect(await migrate(opened[0]!)).toEqual([]);
  });
});
