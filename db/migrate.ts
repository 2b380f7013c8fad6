/**
 * Applies drizzle-kit's generated migrations (db/migrations) in journal order.
 *
 * All pending migrations run in one transaction that first takes a transaction
 * advisory lock, so two instances starting together cannot both migrate: the
 * second waits, then finds nothing left to do. Applied tags are recorded in
 * `vigil_migrations`.
 */
import { readFile } from "node:fs/promises";
import type { Db } from "./client.ts";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
// Any fixed 64-bit number works; namespaced by schema so isolated test schemas don't contend.
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil:migrate'))";

interface Journal {
  entries: { idx: number; tag: string }[];
}

export interface Migration {
  tag: string;
  statements: string[];
}

export async function loadMigrations(): Promise<Migration[]> {
  const journal = JSON.parse(
    await readFile(new URL("meta/_journal.json", MIGRATIONS_DIR), "utf8"),
  ) as Journal;
  const sorted = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return Promise.all(
    sorted.map(async ({ tag }) => {
      const text = await readFile(new URL(`${tag}.sql`, MIGRATIONS_DIR), "utf8");
      const statements = text
        .split("--> statement-breakpoint")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      return { tag, statements };
    }),
  );
}

/** Applies what is pending; returns the tags it applied (empty when up to date). */
export async function migrate(db: Db): Promise<string[]> {
  const migrations = await loadMigrations();
  return db.transaction(async (tx) => {
    await tx.query(LOCK_SQL);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS vigil_migrations (tag text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ tag: string }>("SELECT tag FROM vigil_migrations")).map((r) => r.tag),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.tag)) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query("INSERT INTO vigil_migrations (tag) VALUES ($1)", [m.tag]);
      applied.push(m.tag);
    }
    return applied;
  });
}
