/**
 * `npm run cli -- <command>`: operations on the log and its projections.
 *
 *   migrate                 apply pending migrations
 *   verify                  recompute every stream's hash chain (exit 1 on a break)
 *   replay --verify         rebuild every projection into shadow tables and diff (exit 1 on a difference)
 *   rebuild <projection>    rebuild one projection from the log
 *   catalog [--json]        list the event catalogue
 *
 * It uses DATABASE_URL, or the embedded PGlite under DATA_DIR (./data) — which
 * only one process can open at a time, so stop the server first in that mode.
 */
import { createPgliteDb, createPostgresDb, type Db } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import { allProjections, inlineProjections } from "../../projections/index.ts";
import { runCli } from "./run.ts";

async function openDb(env: NodeJS.ProcessEnv): Promise<Db> {
  if (env.DATABASE_URL) return createPostgresDb({ url: env.DATABASE_URL, max: 4 });
  return createPgliteDb(env.DATA_DIR ?? "./data");
}

async function main(): Promise<number> {
  const db = await openDb(process.env);
  try {
    if (process.argv[2] !== "migrate") await migrate(db);
    const store = createEventStore({ db, catalog: createCatalog(), inline: inlineProjections() });
    const tty = process.stderr.isTTY;
    return await runCli(process.argv.slice(2), {
      db,
      store,
      projections: allProjections,
      out: (line) => console.log(line),
      progress: (line) => (tty ? process.stderr.write(`\r${line}   `) : undefined),
    });
  } finally {
    if (process.stderr.isTTY) process.stderr.write("\n");
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
