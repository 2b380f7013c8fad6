import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { wrapPglite } from "../../db/client.ts";
import { loadMigrations } from "../../db/migrate.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import { assertSchemaCurrent, pendingMigrations, SchemaBehindError } from "./schema.ts";
import { databaseNeed } from "./usage.ts";

describe("the schema check of read-only commands", () => {
  it("finds nothing pending on a migrated database", async () => {
    const db = await pgliteDb();
    try {
      expect(await pendingMigrations(db)).toEqual([]);
      await expect(assertSchemaCurrent(db)).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  }, 180_000);

  it("names the missing migration, and refuses, when the database is behind", async () => {
    const db = await pgliteDb();
    try {
      const last = (await loadMigrations()).at(-1)!.tag;
      await db.query("DELETE FROM vigil_migrations WHERE tag = $1", [last]);
      expect(await pendingMigrations(db)).toEqual([last]);
      const err = await assertSchemaCurrent(db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaBehindError);
      expect((err as Error).message).toMatch(/vigil migrate/);
    } finally {
      await db.close();
    }
  }, 180_000);

  it("counts every migration as pending on a database never migrated, and creates nothing", async () => {
    const db = wrapPglite(await PGlite.create());
    try {
      expect(await pendingMigrations(db)).toHaveLength((await loadMigrations()).length);
      expect(await db.query("SELECT to_regclass('vigil_migrations') AS t")).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  }, 180_000);
});

describe("what each command opens", () => {
  it("opens no database for catalog, outbox and help; reads without migrating for verifiers", () => {
    for (const c of ["catalog", "outbox", "help", undefined]) expect(databaseNeed(c)).toBe("none");
    expect(databaseNeed("replay")).toBe("read");
    expect(databaseNeed("governance")).toBe("read");
    for (const c of ["verify", "rebuild", "admin", "keys", "export"]) expect(databaseNeed(c)).toBe("write");
    expect(databaseNeed("migrate")).toBe("migrate");
  }, 180_000);
});
