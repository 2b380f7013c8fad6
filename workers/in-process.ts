/**
 * The in-process job queue for the embedded default (no REDIS_URL): same rules
 * as BullMQ (dedupe by id, exponential backoff, failed jobs kept), held in
 * memory. Jobs waiting when the process stops are lost with it, which is why
 * production runs BullMQ; the log still holds the events that caused them.
 */
import {
  backoffDelay,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  errorMessage,
  type FailedJob,
  type JobHandler,
  type JobQueue,
  type JobRunner,
  type JobSpec,
  PermanentJobError,
  type RetryOptions,
  type RunnerOptions,
} from "./queue.ts";

export interface InProcessQueueOptions extends RetryOptions {
  /** Completed ids remembered for dedupe (oldest forgotten first; default 100 000). */
  keepCompleted?: number;
}

export interface InProcessQueue extends JobQueue {
  readonly kind: "in-process";
  /** Resolves once nothing is waiting, retrying or running (tests). */
  drain(): Promise<void>;
  counts(): { waiting: number; active: number; completed: number; failed: number };
}

type State = "waiting" | "active" | "completed" | "failed";

const DAY_MS = 86_400_000;

interface Entry {
  readonly spec: JobSpec;
  state: State;
  attemptsMade: number;
  runAt: number;
  error?: string;
  failedAt?: Date;
}

export function createInProcessQueue(opts: InProcessQueueOptions = {}): InProcessQueue {
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const keepCompleted = opts.keepCompleted ?? 100_000;

  const entries = new Map<string, Entry>();
  const waiting: Entry[] = [];
  const completedOrder: string[] = [];
  const failedOrder: Entry[] = [];
  let handlers: Readonly<Record<string, JobHandler>> | undefined;
  let concurrency = 1;
  let active = 0;
  let stopping = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: Array<() => void> = [];
  let settledWaiters: Array<() => void> = [];

  // A delayed job that has not come due yet is not pending work: drain() does not wait for it.
  const notYetDue = (e: Entry) => e.spec.runAt !== undefined && e.attemptsMade === 0 && e.runAt > Date.now();
  const isIdle = () => active === 0 && waiting.every(notYetDue);

  function notifyIdle(): void {
    if (active === 0) {
      const ss = settledWaiters;
      settledWaiters = [];
      for (const s of ss) s();
    }
    if (!isIdle()) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!handlers || stopping || waiting.length === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const e of waiting) if (e.runAt < next) next = e.runAt;
    // Timers longer than 2^31-1 ms fire at once; a job due in a month waits in steps of a day.
    timer = setTimeout(pump, Math.min(DAY_MS, Math.max(0, next - Date.now())));
    // Never the reason a process stays up; whatever runs the queue keeps it alive.
    if (typeof timer === "object" && "unref" in timer) timer.unref();
  }

  function pump(): void {
    if (!handlers || stopping) return;
    const now = Date.now();
    while (active < concurrency) {
      const i = waiting.findIndex((e) => e.runAt <= now);
      if (i < 0) break;
      const [entry] = waiting.splice(i, 1);
      if (entry) void run(entry, handlers);
    }
    schedule();
  }

  async function run(entry: Entry, hs: Readonly<Record<string, JobHandler>>): Promise<void> {
    active++;
    entry.state = "active";
    const { spec } = entry;
    try {
      const handler = hs[spec.name];
      if (!handler) throw new PermanentJobError(`no handler for job "${spec.name}"`);
      await handler(spec.data, {
        id: spec.id,
        name: spec.name,
        attempt: entry.attemptsMade + 1,
        maxAttempts: attempts,
      });
      entry.state = "completed";
      completedOrder.push(spec.id);
      while (completedOrder.length > keepCompleted) entries.delete(completedOrder.shift()!);
    } catch (err) {
      entry.attemptsMade++;
      entry.error = errorMessage(err);
      if (err instanceof PermanentJobError || entry.attemptsMade >= attempts) {
        entry.state = "failed";
        entry.failedAt = new Date();
        failedOrder.push(entry);
      } else {
        entry.state = "waiting";
        entry.runAt = Date.now() + backoffDelay(backoffMs, entry.attemptsMade);
        waiting.push(entry);
      }
    } finally {
      active--;
      pump();
      notifyIdle();
    }
  }

  async function stop(): Promise<void> {
    stopping = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (active > 0) await new Promise<void>((r) => settledWaiters.push(r));
  }

  const runner = (o: RunnerOptions): JobRunner => ({
    start(hs) {
      if (closed) throw new Error("job queue is closed");
      handlers = hs;
      concurrency = Math.max(1, o.concurrency ?? 1);
      stopping = false;
      pump();
    },
    async close() {
      await stop();
      handlers = undefined;
    },
  });

  return {
    kind: "in-process",
    async enqueue(job) {
      if (closed) throw new Error("job queue is closed");
      if (entries.has(job.id)) return;
      const entry: Entry = {
        spec: job,
        state: "waiting",
        attemptsMade: 0,
        runAt: Math.max(Date.now(), job.runAt?.getTime() ?? 0),
      };
      entries.set(job.id, entry);
      waiting.push(entry);
      pump();
    },
    async ping() {
      if (closed) throw new Error("job queue is closed");
    },
    async failed(limit = 100) {
      return failedOrder
        .slice(-limit)
        .reverse()
        .map(
          (e): FailedJob => ({
            id: e.spec.id,
            name: e.spec.name,
            data: e.spec.data,
            attemptsMade: e.attemptsMade,
            error: e.error ?? "",
            failedAt: e.failedAt ?? null,
          }),
        );
    },
    createRunner: (o = {}) => runner(o),
    drain() {
      if (isIdle()) return Promise.resolve();
      if (!handlers || stopping) return Promise.reject(new Error("no runner is taking jobs"));
      return new Promise<void>((r) => idleWaiters.push(r));
    },
    counts: () => ({
      waiting: waiting.length,
      active,
      completed: completedOrder.length,
      failed: failedOrder.length,
    }),
    async close() {
      closed = true;
      await stop();
      handlers = undefined;
    },
  };
}
