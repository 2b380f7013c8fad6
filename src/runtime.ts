/**
 * Wiring from environment to AppDeps, shared by the Node and Deno entries, the
 * worker entry and end-to-end tests. It owns the order of shutdown: whatever
 * was opened last is closed first (workers before the database they read).
 *
 * Extension seam: the job queue and workers plug in through `extensions`
 * (or by editing the marked spot below). An extension receives the runtime
 * under construction and may add readiness checks and closers, e.g.
 *   const withQueue: RuntimeExtension = async (rt) => {
 *     const queue = await createQueue(rt.config, rt.deps);
 *     rt.deps.readiness.push({ name: "queue", check: () => queue.ping() });
 *     rt.onClose(() => queue.close());
 *   };
 */
import { mkdir } from "node:fs/promises";
import type { DestinationStream } from "pino";
import { createPgliteDb, createPostgresDb, type Db } from "../db/client.ts";
import { lockDataDir } from "../db/data-dir-lock.ts";
import { migrate } from "../db/migrate.ts";
import { createCatalog } from "../events/catalog/index.ts";
import { uuidv7 } from "../events/ids.ts";
import { createPiiCipher } from "../events/pii.ts";
import { createEventStore } from "../events/store.ts";
import { inlineProjections } from "../projections/index.ts";
import type { AppDeps } from "./app.ts";
import { createAuthServices, masterKeyring } from "./auth/services.ts";
import { type Config, loadConfig } from "./config.ts";
import { pushWakeup } from "./custody/ws/wake.ts";
import { createLogger } from "./observability/logger.ts";
import { Metrics } from "./observability/metrics.ts";
import { createRateLimiter, evidenceFor } from "./security/ratelimit/index.ts";

export interface Runtime {
  readonly config: Config;
  readonly deps: AppDeps;
  /** Registers a closer; closers run in reverse order of registration. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export type RuntimeExtension = (rt: Runtime) => Promise<void> | void;

export interface RuntimeOptions {
  /** Use this database instead of opening one from the config (tests). */
  db?: Db;
  logDestination?: DestinationStream;
  /** Skip migrations (the database is already migrated, e.g. a test helper did it). */
  skipMigrate?: boolean;
  extensions?: readonly RuntimeExtension[];
}

/** PGlite keeps its files in `<DATA_DIR>/pglite`; the mail outbox sits beside it in `<DATA_DIR>/outbox`. */
export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) return createPostgresDb({ url: config.databaseUrl });
  // PGlite's `memory://` keeps nothing on disk; any other value is a directory.
  if (config.dataDir.startsWith("memory://")) return createPgliteDb(config.dataDir);
  const dataDir = config.dataDir.replace(/\/+$/, "");
  const dir = `${dataDir}/pglite`;
  await mkdir(dir, { recursive: true });
  // One process per embedded database (db/data-dir-lock.ts): a second one refuses here.
  const lock = await lockDataDir(dataDir);
  try {
    const db = await createPgliteDb(dir);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Where the data lives, for the start-up lines; never the URL itself, which may hold a password. */
export function databaseLabel(config: Config): string {
  if (config.databaseUrl) return "the Postgres database at DATABASE_URL";
  if (config.dataDir.startsWith("memory://")) return "an in-memory embedded database (nothing is kept)";
  const dir = config.dataDir.replace(/\/+$/, "");
  return `the embedded database at ${dir}/pglite (its first start initialises it, which takes a while)`;
}

export async function buildRuntime(
  env: Record<string, string | undefined>,
  opts: RuntimeOptions = {},
): Promise<Runtime> {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, destination: opts.logDestination });
  const closers: Array<() => Promise<void> | void> = [];

  // Start-up says what it is doing, one line per step: opening the embedded
  // database for the first time takes many seconds, and silence looks like a hang.
  if (!opts.db) logger.info({ database: databaseLabel(config) }, `opening ${databaseLabel(config)}`);
  const db = opts.db ?? (await openDatabase(config));
  if (!opts.db) closers.push(() => db.close());
  if (!opts.skipMigrate) {
    logger.info({}, "applying pending database migrations");
    const applied = await migrate(db);
    logger.info(
      { applied: applied.length },
      applied.length ? `applied ${applied.length} migration(s)` : "database schema is up to date",
    );
  }

  const clock = { now: () => new Date() };
  const ids = { newId: () => uuidv7() };
  const store = createEventStore({
    db,
    catalog: createCatalog(),
    // The custody push wake-up NOTIFYs in the appending transaction (src/custody/ws/wake.ts).
    inline: [...inlineProjections(), pushWakeup],
    pii: createPiiCipher(await masterKeyring(config)),
    now: clock.now,
    newId: ids.newId,
  });

  const deps: AppDeps = {
    config,
    db,
    store,
    logger,
    metrics: new Metrics(),
    clock,
    readiness: [],
  };

  logger.info({}, "starting the password-hashing pool and loading the signing keys");
  // Identity: password hashing pool, JWT keys (jwt_keys, sealed with ENCRYPTION_KEY), SessionGuard.
  try {
    const auth = await createAuthServices({ store, db, config, clock, logger });
    deps.auth = auth;
    closers.push(() => auth.close());
    if (auth.guard.kind === "redis") {
      // `degraded`, not a failure: without Redis sessions are checked against their rows.
      const guard = auth.guard;
      deps.readiness.push({ name: "session_guard", check: () => guard.readiness?.() ?? guard.ping() });
    }
  } catch (err) {
    for (const fn of closers.reverse()) await fn();
    throw err;
  }

  // Rate limits: Redis (memory fallback, /ready says `degraded`) when REDIS_URL is set, else memory.
  if (config.rateLimit.enabled) {
    const limits = await createRateLimiter(config, logger);
    deps.rateLimiter = limits.limiter;
    if (limits.readiness) deps.readiness.push(limits.readiness);
    closers.push(async () => {
      await evidenceFor(deps).drain();
      await limits.close();
    });
  } else if (config.env === "production") {
    logger.warn({}, "RATE_LIMITS_ENABLED=false: no rate limits in production");
  }

  let closed = false;
  const rt: Runtime = {
    config,
    deps,
    onClose: (fn) => {
      closers.push(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.error({ err }, "error during shutdown");
        }
      }
    },
  };

  // SEAM (jobs): the job queue (BullMQ when REDIS_URL is set, in-process otherwise)
  // and, when config.runWorkersInProcess, the workers, are added here as extensions.
  if (opts.extensions?.length) logger.info({}, "starting the job queue and background work");
  try {
    for (const extend of opts.extensions ?? []) await extend(rt);
  } catch (err) {
    await rt.close();
    throw err;
  }
  logger.info(
    { database: db.kind, redis: config.redisUrl ? "redis" : "in-memory", env: config.env },
    "runtime ready",
  );
  return rt;
}
