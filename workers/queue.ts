/**
 * The job queue port. Two sides: the producer (`JobQueue`, used by the
 * dispatcher) and the consumer (`JobRunner`, used by the worker process).
 * Implementations: BullMQ on Redis (workers/bullmq.ts) and an in-process queue
 * for the embedded default (workers/in-process.ts). Both keep the same rules:
 *
 * - `JobSpec.id` is the dedupe key: enqueueing an id the queue already holds
 *   (waiting, running, completed or failed) does nothing.
 * - A failing handler is retried with exponential backoff
 *   (base · 2^(attempt-1)); after the last attempt the job stays in the failed
 *   set for inspection. `PermanentJobError` skips the remaining attempts.
 */

export interface JobSpec {
  /** Which handler runs it, e.g. `email.send`. */
  readonly name: string;
  /** The dedupe key; derive it from the event that caused the job (see dispatcher.ts). */
  readonly id: string;
  readonly data: unknown;
  /**
   * A delayed job: not run before this time (BullMQ `delay`). Derive it from
   * the event too (e.g. a proposal's voting end), so a re-dispatch asks for the
   * same time. Handlers still check the time themselves: clocks differ.
   */
  readonly runAt?: Date;
}

export interface JobContext {
  readonly id: string;
  readonly name: string;
  /** 1 on the first run. */
  readonly attempt: number;
  readonly maxAttempts: number;
}

export type JobHandler = (data: unknown, ctx: JobContext) => Promise<void>;

export interface FailedJob {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly attemptsMade: number;
  readonly error: string;
  readonly failedAt: Date | null;
}

export interface JobQueue {
  readonly kind: "bullmq" | "in-process";
  enqueue(job: JobSpec): Promise<void>;
  /** Resolves when the queue's backend is reachable (readiness checks). */
  ping(): Promise<void>;
  /** Jobs that used up their attempts, newest first. */
  failed(limit?: number): Promise<FailedJob[]>;
  /** The consumer side of this same queue. */
  createRunner(opts?: RunnerOptions): JobRunner;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** Jobs run in parallel by one runner (default 1). */
  concurrency?: number;
}

export interface JobRunner {
  /** Starts taking jobs; a job whose name has no handler fails permanently. */
  start(handlers: Readonly<Record<string, JobHandler>>): void;
  /** Stops taking jobs and resolves once the jobs in hand have finished. */
  close(): Promise<void>;
}

export interface RetryOptions {
  /** Total runs before a job is failed for good (default 5). */
  attempts?: number;
  /** Delay before the first retry; each later retry doubles it (default 1000 ms). */
  backoffMs?: number;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1000;

/** Thrown by a handler when retrying cannot help (bad data, unknown job). */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}

/** The delay before retry number `attempt` (after `attempt` failed runs). */
export function backoffDelay(baseMs: number, failedRuns: number): number {
  return baseMs * 2 ** (failedRuns - 1);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
