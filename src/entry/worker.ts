/**
 * `npm run worker`: the dispatcher, the job runner and the async projections in
 * a process of their own, for deployments that set RUN_WORKERS_IN_PROCESS=false
 * on the HTTP servers.
 *
 * It shares the server's Postgres (DATABASE_URL) and Redis (REDIS_URL). On
 * SIGTERM/SIGINT it stops reading the log, lets the job in hand finish, closes
 * Redis and the database, and exits 0.
 */
import { background } from "../background.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { buildRuntime } from "../runtime.ts";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.databaseUrl) {
    console.error(
      "The worker process needs DATABASE_URL: it reads the same Postgres as the server.\n" +
        "Without DATABASE_URL the server runs on embedded PGlite, which only one process can open,\n" +
        "so the jobs run inside the server process instead (`npm start`); no separate worker is needed.",
    );
    process.exit(1);
  }
  const rt = await buildRuntime(process.env, { extensions: [background({ workers: true })] });
  const { logger } = rt.deps;
  if (!config.redisUrl) {
    logger.warn({}, "REDIS_URL is not set: jobs queue in this process's memory and are lost if it stops");
  }
  logger.info({}, "worker running");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "worker shutting down");
    // A hard deadline, in case a job never finishes.
    setTimeout(() => {
      logger.error({}, "shutdown took too long; exiting");
      process.exit(1);
    }, 15_000).unref();
    rt.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
