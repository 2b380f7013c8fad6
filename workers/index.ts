/**
 * The workers' entry points for wiring: choose a queue and a mailer from the
 * configuration, and run the dispatcher and the job runner together.
 *
 * The server (embedded default) and the separate worker process use the same
 * `startWorkers`. With several processes on one Postgres and Redis, the
 * dispatcher's advisory lock keeps exactly one dispatching while every
 * process's runner takes jobs.
 */
import type { Logger } from "pino";
import type { Db } from "../db/client.ts";
import type { EventStore } from "../events/store.ts";
import { runConsumer } from "../projections/consumer.ts";
import { createBullQueue } from "./bullmq.ts";
import { createDispatcher, type JobRoute } from "./dispatcher.ts";
import {
  createMemoryMailer,
  createOutboxMailer,
  createSmtpMailer,
  EMAIL_SEND,
  type Mailer,
  outboxDir,
  sendEmail,
} from "./email.ts";
import { createInProcessQueue } from "./in-process.ts";
import { errorMessage, type JobHandler, type JobQueue, type RetryOptions } from "./queue.ts";

export type { JobRoute } from "./dispatcher.ts";
export { createDispatcher, eventJob } from "./dispatcher.ts";
export type { Mailer, MailMessage, OutboxMessage } from "./email.ts";
export { EMAIL_SEND, outboxDir, readOutbox } from "./email.ts";
export type { FailedJob, JobContext, JobHandler, JobQueue, JobRunner, JobSpec } from "./queue.ts";
export { PermanentJobError } from "./queue.ts";
export { coreRoutes } from "./routes.ts";

export type WorkerLogger = Pick<Logger, "info" | "warn" | "error">;

export interface CreateQueueOptions extends RetryOptions {
  /** BullMQ on this Redis; the in-process queue without it. */
  redisUrl?: string;
  /** Redis key prefix (BullMQ only). */
  prefix?: string;
  queueName?: string;
  onError?: (err: unknown) => void;
}

export function createQueue(opts: CreateQueueOptions = {}): JobQueue {
  const retry = { attempts: opts.attempts, backoffMs: opts.backoffMs };
  if (!opts.redisUrl) return createInProcessQueue(retry);
  return createBullQueue({
    ...retry,
    redisUrl: opts.redisUrl,
    prefix: opts.prefix,
    queueName: opts.queueName,
    onError: opts.onError,
  });
}

export interface CreateMailerOptions {
  /** SMTP through nodemailer; without it, the development outbox. */
  smtpUrl?: string;
  from: string;
  /** The outbox lives in `<dataDir>/outbox`; a `memory://` data dir keeps mail in memory. */
  dataDir: string;
}

export function createMailer(opts: CreateMailerOptions): Mailer {
  if (opts.smtpUrl) return createSmtpMailer({ url: opts.smtpUrl, from: opts.from });
  if (opts.dataDir.startsWith("memory://")) return createMemoryMailer();
  return createOutboxMailer({ dir: outboxDir(opts.dataDir), from: opts.from });
}

export interface StartWorkersOptions {
  db: Db;
  store: EventStore;
  queue: JobQueue;
  mailer: Mailer;
  /** Event → job routes (e.g. `coreRoutes(...)` plus the features'). */
  routes: readonly JobRoute[];
  /** Handlers beyond `email.send`, by job name. */
  handlers?: Readonly<Record<string, JobHandler>>;
  logger: WorkerLogger;
  /** How often the dispatcher polls the log (default 250 ms); `poke` skips the wait. */
  pollMs?: number;
  /** Jobs run in parallel by this process (default 1). */
  concurrency?: number;
}

export interface RunningWorkers {
  /** Stops dispatching, then waits for the jobs in hand. The queue stays open: its owner closes it. */
  stop(): Promise<void>;
  /** Dispatch now rather than at the next poll (e.g. right after an append). */
  poke(): void;
}

export function startWorkers(opts: StartWorkersOptions): RunningWorkers {
  const { logger } = opts;
  const handlers: Record<string, JobHandler> = { [EMAIL_SEND]: sendEmail(opts.mailer), ...opts.handlers };

  const logged = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]): [string, JobHandler] => [
      name,
      async (data, ctx) => {
        try {
          await handler(data, ctx);
          logger.info({ job: ctx.id, name, attempt: ctx.attempt }, "job done");
        } catch (err) {
          const last = ctx.attempt >= ctx.maxAttempts;
          const line = {
            job: ctx.id,
            name,
            attempt: ctx.attempt,
            of: ctx.maxAttempts,
            error: errorMessage(err),
          };
          if (last) logger.error(line, "job failed; kept in the failed set");
          else logger.warn(line, "job failed; will retry");
          throw err;
        }
      },
    ]),
  );

  const runner = opts.queue.createRunner({ concurrency: opts.concurrency });
  runner.start(logged);

  const dispatcher = runConsumer(
    {
      db: opts.db,
      store: opts.store,
      pollMs: opts.pollMs,
      onError: (err) =>
        logger.error({ error: errorMessage(err) }, "dispatch failed; the checkpoint stays and it retries"),
    },
    createDispatcher({ queue: opts.queue, routes: opts.routes }),
  );
  logger.info(
    { queue: opts.queue.kind, mailer: opts.mailer.kind, routes: opts.routes.length },
    "workers started",
  );

  let stopping: Promise<void> | undefined;
  return {
    poke: () => dispatcher.poke(),
    stop() {
      stopping ??= (async () => {
        await dispatcher.stop();
        await runner.close();
        logger.info({}, "workers stopped");
      })();
      return stopping;
    },
  };
}
