/**
 * `npm run cli -- <command>`: operations on the log and its projections.
 *
 *   migrate                 apply pending migrations
 *   verify                  recompute every stream's hash chain (exit 1 on a break)
 *   replay --verify         rebuild every projection into shadow tables and diff (exit 1 on a difference)
 *   rebuild <projection>    rebuild one projection from the log
 *   catalog [--json]        list the event catalogue
 *   outbox [--limit N]      read the development outbox (mail sent without SMTP_URL)
 *
 * It uses DATABASE_URL, or the embedded PGlite under DATA_DIR (./data) — which
 * only one process can open at a time, so stop the server first in that mode.
 */
import { migrate } from "../../db/migrate.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import { allProjections, inlineProjections } from "../../projections/index.ts";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../runtime.ts";
import { runCli } from "./run.ts";

async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config);
  try {
    if (process.argv[2] !== "migrate") await migrate(db);
    const store = createEventStore({ db, catalog: createCatalog(), inline: inlineProjections() });
    const tty = process.stderr.isTTY;
    return await runCli(process.argv.slice(2), {
      db,
      store,
      projections: allProjections,
      dataDir: config.dataDir,
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
