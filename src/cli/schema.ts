/**
 * Read-only commands check the schema instead of migrating it: a reader must
 * not change the database under a server that may be running an older Vigil,
 * and a check costs one query where a migration takes a lock.
 */
import type { Db } from "../../db/client.ts";
import { loadMigrations } from "../../db/migrate.ts";

export class SchemaBehindError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `the database schema is behind this version of Vigil (${pending.length} migration(s) pending): run \`vigil migrate\` first`,
    );
  }
}

/** The migrations this Vigil knows that the database has not applied, in order. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const known = await loadMigrations();
  const [table] = await db.query<{ name: string | null }>(
    "SELECT to_regclass('vigil_migrations')::text AS name",
  );
  if (!table?.name) return known.map((m) => m.tag);
  const done = new Set(
    (await db.query<{ tag: string }>("SELECT tag FROM vigil_migrations")).map((r) => r.tag),
  );
  return known.map((m) => m.tag).filter((tag) => !done.has(tag));
}

export async function assertSchemaCurrent(db: Db): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length) throw new SchemaBehindError(pending);
}
