/**
 * `npm run cli -- <command>`: operations on the log and its projections.
 *
 *   migrate                 apply pending migrations
 *   verify                  recompute every stream's hash chain (exit 1 on a break)
 *   replay --verify         rebuild every projection into shadow tables and diff (exit 1 on a difference)
 *   rebuild <projection>    rebuild one projection from the log
 *   catalog [--json]        list the event catalogue
 *   outbox [--limit N]      read the development outbox (mail sent without SMTP_URL)
 *   admin create --email <address> [--force]
 *                           create the first admin; prints a one-time set-password link
 *   keys rotate-encryption  re-encrypt secrets at rest under the current ENCRYPTION_KEY
 *   keys rotate-checkpoint  retire the ledger's checkpoint signing key and make a new one
 *
 * It uses DATABASE_URL, or the embedded PGlite under DATA_DIR (./data) — which
 * only one process can open at a time, so stop the server first in that mode.
 */
import { migrate } from "../../db/migrate.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import { allProjections, inlineProjections } from "../../projections/index.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { createAuthServices } from "../auth/services.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../observability/logger.ts";
import { Metrics } from "../observability/metrics.ts";
import { openDatabase } from "../runtime.ts";
import { runCli } from "./run.ts";

async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config);
  let auth: AuthDeps | undefined;
  try {
    if (process.argv[2] !== "migrate") await migrate(db);
    const store = createEventStore({ db, catalog: createCatalog(), inline: inlineProjections() });
    const tty = process.stderr.isTTY;
    // Only the commands that need them start the hashing pool and load the JWT keys.
    const authDeps = async () => {
      const clock = { now: () => new Date() };
      const logger = createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel });
      auth ??= {
        config,
        db,
        store,
        logger,
        metrics: new Metrics({ defaultMetrics: false }),
        clock,
        readiness: [],
        auth: await createAuthServices({ db, config, clock, logger }),
      };
      return auth;
    };
    return await runCli(process.argv.slice(2), {
      authDeps,
      db,
      store,
      projections: allProjections,
      dataDir: config.dataDir,
      retention: config.retention,
      out: (line) => console.log(line),
      progress: (line) => (tty ? process.stderr.write(`\r${line}   `) : undefined),
    });
  } finally {
    if (process.stderr.isTTY) process.stderr.write("\n");
    await auth?.auth.close();
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
