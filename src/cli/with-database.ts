/**
 * The CLI's commands that open the database (see src/cli/usage.ts for which
 * need what). It uses DATABASE_URL, or the embedded PGlite under DATA_DIR
 * (./data), which only one process can open at a time: while the server runs
 * on it, these commands refuse at once (exit 1) and say so.
 */
import { pino } from "pino";
import { migrate } from "../../db/migrate.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createPiiCipher } from "../../events/pii.ts";
import { createEventStore } from "../../events/store.ts";
import { allProjections, inlineProjections } from "../../projections/index.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { createAuthServices, masterKeyring } from "../auth/services.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../observability/logger.ts";
import { Metrics } from "../observability/metrics.ts";
import { openDatabase } from "../runtime.ts";
import { terminalProgress } from "./progress.ts";
import { runCli } from "./run.ts";
import { assertSchemaCurrent } from "./schema.ts";
import type { DatabaseNeed } from "./usage.ts";

export async function runWithDatabase(
  config: Config,
  argv: readonly string[],
  need: Exclude<DatabaseNeed, "none">,
): Promise<number> {
  const tty = Boolean(process.stderr.isTTY);
  if (tty)
    process.stderr.write(`opening the database (${config.databaseUrl ? "Postgres" : config.dataDir})…\n`);
  const db = await openDatabase(config);
  let auth: AuthDeps | undefined;
  const progress = terminalProgress({ write: (text) => process.stderr.write(text), tty });
  try {
    if (need === "write") await migrate(db);
    if (need === "read") await assertSchemaCurrent(db);
    const store = createEventStore({
      db,
      catalog: createCatalog(),
      inline: inlineProjections(),
      pii: createPiiCipher(await masterKeyring(config)),
    });
    // Logs go to stderr: stdout carries only what the command was asked for.
    const logger = createLogger({
      level: config.logLevel === "info" ? "warn" : config.logLevel,
      destination: pino.destination({ fd: 2, sync: true }),
    });
    // Only the commands that need them start the hashing pool and load the JWT keys.
    const authDeps = async () => {
      const clock = { now: () => new Date() };
      auth ??= {
        config,
        db,
        store,
        logger,
        metrics: new Metrics({ defaultMetrics: false }),
        clock,
        readiness: [],
        auth: await createAuthServices({ store, db, config, clock, logger }),
      };
      return auth;
    };
    return await runCli(argv, {
      authDeps,
      db,
      store,
      projections: allProjections,
      dataDir: config.dataDir,
      retention: config.retention,
      out: (line) => console.log(line),
      progress: (line, count) => progress.update(line, count),
    });
  } finally {
    progress.done();
    await auth?.auth.close();
    await db.close();
  }
}
