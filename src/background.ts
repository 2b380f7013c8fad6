/**
 * Everything that runs behind the requests: the job queue, the dispatcher that
 * turns committed events into jobs, the job runner (email), and the async
 * projections. A runtime extension, so the server (embedded default), the
 * separate worker process and tests share one wiring.
 *
 * Running it in several processes at once is safe: each consumer (dispatcher,
 * each projection) holds an advisory lock, so exactly one instance reads the
 * log while the others stand by; every process's runner takes jobs.
 */
import { asyncProjections } from "../projections/index.ts";
import { runProjections } from "../projections/runner.ts";
import { coreRoutes, createMailer, createQueue, startWorkers } from "../workers/index.ts";
import { idempotentMailer } from "../workers/sent-emails.ts";
import { startAuditWork } from "./audit/background.ts";
import { jobHandlers, jobRoutes } from "./features.ts";
import type { RuntimeExtension } from "./runtime.ts";
import { withTimeout } from "./system/fail-fast.ts";

export interface BackgroundOptions {
  /** Run dispatcher, runner and projections here; defaults to RUN_WORKERS_IN_PROCESS. */
  workers?: boolean;
  /** How often consumers poll the log (ms). */
  pollMs?: number;
}

export function background(opts: BackgroundOptions = {}): RuntimeExtension {
  return (rt) => {
    const { config, deps } = rt;
    const { logger } = deps;
    const queue = createQueue({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      onError: (err) => logger.warn({ error: (err as Error).message }, "redis error (job queue)"),
    });
    rt.onClose(() => queue.close());
    // Jobs come from the log, so a queue that cannot be reached delays them and loses
    // nothing: Vigil serves through it, and /ready says `degraded` rather than failing.
    if (config.redisUrl) {
      // Frequent probes share one ping in flight instead of stacking up behind a dead connection.
      let ping: Promise<void> | undefined;
      const probe = () => {
        ping ??= queue.ping().finally(() => {
          ping = undefined;
        });
        return ping;
      };
      deps.readiness.push({
        name: "redis",
        check: () =>
          withTimeout(probe(), 500).then(
            () => undefined,
            () => "degraded" as const,
          ),
      });
    }

    if (!(opts.workers ?? config.runWorkersInProcess)) {
      if (!config.databaseUrl) {
        logger.warn({}, "workers are off and the database is embedded: no process will send email");
      }
      return;
    }
    // Once per job: a retried job finds its email recorded and does not send it again.
    const mailer = idempotentMailer(
      createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir }),
      { db: deps.db, from: config.mailFrom, logger },
    );
    rt.onClose(async () => {
      await mailer.close?.();
    });
    if (!config.securityEmail) logger.warn({}, "SECURITY_EMAIL is not set: broken chains are not emailed");
    const workers = startWorkers({
      db: deps.db,
      store: deps.store,
      queue,
      mailer,
      routes: [...coreRoutes({ securityEmail: config.securityEmail }), ...jobRoutes],
      handlers: jobHandlers(deps, mailer, queue),
      logger,
      pollMs: opts.pollMs,
    });
    rt.onClose(() => workers.stop());
    const projections = runProjections(
      {
        db: deps.db,
        store: deps.store,
        pollMs: opts.pollMs,
        onError: (err, name) =>
          logger.error({ error: (err as Error).message, consumer: name }, "projection failed"),
      },
      asyncProjections(),
    );
    rt.onClose(async () => {
      await Promise.all(projections.map((p) => p.stop()));
    });
    // The ledger's sequencer and the retention job (src/audit/background.ts).
    const audit = startAuditWork(deps, { pollMs: opts.pollMs });
    rt.onClose(() => audit.stop());
  };
}
