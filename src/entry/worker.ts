/**
 * `npm run worker`: the job dispatcher and runner in a process of their own.
 *
 * It shares the server's Postgres (DATABASE_URL) and, normally, its Redis
 * (REDIS_URL). On SIGTERM/SIGINT it stops dispatching, lets the job in hand
 * finish, closes Redis and the database, and exits 0.
 */
import { createPostgresDb, type Db } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import {
  coreRoutes,
  createMailer,
  createQueue,
  type RunningWorkers,
  startWorkers,
} from "../../workers/index.ts";
import type { JobQueue } from "../../workers/queue.ts";
import { LOG_LEVELS, type LogLevel } from "../config.ts";
import { createLogger } from "../observability/logger.ts";

const env = process.env;
const value = (k: string) => (env[k]?.trim() ? env[k].trim() : undefined);

const level = value("LOG_LEVEL");
const logger = createLogger({
  level: level && (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : "info",
});

async function main(): Promise<void> {
  const databaseUrl = value("DATABASE_URL");
  if (!databaseUrl) {
    console.error(
      "The worker process needs DATABASE_URL: it reads the same Postgres as the server.\n" +
        "Without DATABASE_URL the server runs on embedded PGlite, which only one process can open,\n" +
        "so the jobs run inside the server process instead (`npm start`); no separate worker is needed.",
    );
    process.exit(1);
  }
  const redisUrl = value("REDIS_URL");
  const dataDir = value("DATA_DIR") ?? "./data";

  let db: Db | undefined;
  let queue: JobQueue | undefined;
  let workers: RunningWorkers | undefined;
  const mailer = createMailer({
    smtpUrl: value("SMTP_URL"),
    from: value("MAIL_FROM") ?? "Vigil <no-reply@localhost>",
    dataDir,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "worker shutting down");
    // A hard deadline, in case a job never finishes.
    setTimeout(() => {
      logger.error({}, "shutdown took too long; exiting");
      process.exit(1);
    }, 15_000).unref();
    try {
      await workers?.stop();
      await queue?.close();
      await mailer.close?.();
      await db?.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  db = createPostgresDb({ url: databaseUrl });
  await migrate(db);
  const store = createEventStore({ db, catalog: createCatalog() });
  if (!redisUrl) {
    logger.warn({}, "REDIS_URL is not set: jobs queue in this process's memory and are lost if it stops");
  }
  queue = createQueue({
    redisUrl,
    prefix: value("REDIS_PREFIX"),
    onError: (err) => logger.warn({ error: (err as Error).message }, "redis error"),
  });
  await queue
    .ping()
    .catch((err) => logger.warn({ error: (err as Error).message }, "job queue not reachable yet"));
  if (stopping) return;
  const securityEmail = value("SECURITY_EMAIL");
  if (!securityEmail) logger.warn({}, "SECURITY_EMAIL is not set: security alerts are not emailed");
  workers = startWorkers({
    db,
    store,
    queue,
    mailer,
    routes: coreRoutes({ securityEmail }),
    logger,
  });
}

main().catch((err) => {
  logger.fatal({ err }, "worker failed to start");
  process.exit(1);
});
