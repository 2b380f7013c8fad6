/**
 * The job queue on BullMQ (Redis). Each side gets its own ioredis connection,
 * built here rather than by BullMQ (whose ESM build cannot load ioredis itself):
 *
 * - the producer fails fast when Redis is away (no offline queue, one retry
 *   per command, a bounded wait for the connection), so the dispatcher's
 *   transaction rolls back and its checkpoint stays put instead of hanging;
 * - the worker's connection retries for ever (BullMQ requires
 *   `maxRetriesPerRequest: null` for its blocking reads).
 *
 * Completed jobs are kept for a week so that a re-dispatch of the same event
 * (after a crash between enqueue and checkpoint commit) still finds the id and
 * does nothing; failed jobs are kept until someone removes them.
 */
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type FailedJob,
  type JobHandler,
  type JobQueue,
  type JobRunner,
  PermanentJobError,
  type RetryOptions,
} from "./queue.ts";

export interface BullQueueOptions extends RetryOptions {
  redisUrl: string;
  /** Default `vigil-jobs`. */
  queueName?: string;
  /** Redis key prefix (default `vigil`); tests use a random one to isolate themselves. */
  prefix?: string;
  /** How long a completed job (and so its dedupe id) is kept (default 7 days). */
  keepCompletedSeconds?: number;
  /** At most this many completed jobs are kept (default 100 000). */
  keepCompletedCount?: number;
  /** How long enqueue/ping wait for Redis before failing (default 2000 ms). */
  timeoutMs?: number;
  /** Connection and worker errors (they are otherwise only retried). */
  onError?: (err: unknown) => void;
  /** Extra ioredis options (tests point at a dead port with these). */
  redis?: RedisOptions;
}

const DAY_S = 24 * 60 * 60;

// BullMQ refuses ids that contain ':' or look like integers; encode both away, reversibly.
export function encodeJobId(id: string): string {
  const escaped = id.replaceAll("%", "%25").replaceAll(":", "%3A");
  return /^-?\d+$/.test(escaped) ? `%23${escaped}` : escaped;
}

export function decodeJobId(encoded: string): string {
  const body = encoded.startsWith("%23") ? encoded.slice(3) : encoded;
  return body.replaceAll("%3A", ":").replaceAll("%25", "%");
}

const reconnect = (times: number) => Math.min(times * 200, 2000);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

function untilReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  if (redis.status === "end") return Promise.reject(new Error("Redis connection is closed"));
  let onReady: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
    redis.once("ready", resolve);
  });
  return withTimeout(ready, ms, "connect").finally(() => {
    if (onReady) redis.off("ready", onReady);
  });
}

export function createBullQueue(opts: BullQueueOptions): JobQueue {
  const queueName = opts.queueName ?? "vigil-jobs";
  const prefix = opts.prefix ?? "vigil";
  const timeoutMs = opts.timeoutMs ?? 2000;
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const onError = opts.onError ?? (() => {});

  const redis = new Redis(opts.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    retryStrategy: reconnect,
    ...opts.redis,
  });
  redis.on("error", onError);
  const queue = new Queue(queueName, {
    connection: redis,
    prefix,
    defaultJobOptions: {
      attempts,
      backoff: { type: "exponential", delay: opts.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: {
        age: opts.keepCompletedSeconds ?? 7 * DAY_S,
        count: opts.keepCompletedCount ?? 100_000,
      },
      removeOnFail: false,
    },
  });
  queue.on("error", onError);

  const runners = new Set<JobRunner>();

  return {
    kind: "bullmq",
    async enqueue(job) {
      await untilReady(redis, timeoutMs);
      // An id BullMQ already holds (in any state) is not added again.
      const delay = job.runAt ? Math.max(0, job.runAt.getTime() - Date.now()) : undefined;
      await withTimeout(
        queue.add(job.name, job.data, { jobId: encodeJobId(job.id), ...(delay ? { delay } : {}) }),
        timeoutMs,
        "enqueue",
      );
    },
    async ping() {
      await untilReady(redis, timeoutMs);
      await withTimeout(redis.ping(), timeoutMs, "ping");
    },
    async failed(limit = 100) {
      await untilReady(redis, timeoutMs);
      const jobs = await queue.getFailed(0, limit - 1);
      return jobs.map(
        (j): FailedJob => ({
          id: decodeJobId(j.id ?? ""),
          name: j.name,
          data: j.data,
          attemptsMade: j.attemptsMade,
          error: j.failedReason ?? "",
          failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
        }),
      );
    },
    createRunner(ro = {}) {
      const runner = createBullRunner({ ...opts, queueName, prefix, attempts, concurrency: ro.concurrency });
      runners.add(runner);
      return {
        start: (hs) => runner.start(hs),
        async close() {
          await runner.close();
          runners.delete(runner);
        },
      };
    },
    async close() {
      for (const r of runners) await r.close();
      await queue.close();
      if (redis.status === "ready") await redis.quit().catch(() => {});
      redis.disconnect();
    },
  };
}

interface BullRunnerOptions extends BullQueueOptions {
  queueName: string;
  prefix: string;
  attempts: number;
  concurrency?: number;
}

function createBullRunner(opts: BullRunnerOptions): JobRunner {
  let worker: Worker | undefined;
  let redis: Redis | undefined;
  const onError = opts.onError ?? (() => {});

  return {
    start(handlers: Readonly<Record<string, JobHandler>>) {
      if (worker) throw new Error("runner already started");
      redis = new Redis(opts.redisUrl, {
        ...opts.redis,
        maxRetriesPerRequest: null,
        retryStrategy: reconnect,
      });
      redis.on("error", onError);
      worker = new Worker(
        opts.queueName,
        async (job: Job) => {
          const handler = handlers[job.name];
          if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}"`);
          try {
            await handler(job.data, {
              id: decodeJobId(job.id ?? ""),
              name: job.name,
              attempt: job.attemptsMade + 1,
              maxAttempts: job.opts.attempts ?? opts.attempts,
            });
          } catch (err) {
            if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
            throw err;
          }
        },
        { connection: redis, prefix: opts.prefix, concurrency: opts.concurrency ?? 1 },
      );
      worker.on("error", onError);
    },
    async close() {
      // Worker.close waits for the jobs in hand to finish before it resolves.
      await worker?.close();
      if (redis?.status === "ready") await redis.quit().catch(() => {});
      redis?.disconnect();
      worker = undefined;
      redis = undefined;
    },
  };
}
