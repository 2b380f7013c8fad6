/**
 * A small fixed-size pool of `node:worker_threads` workers, one task per worker
 * at a time, FIFO queue. Workers start on demand, and an idle worker is unref'd
 * so an open pool never keeps a CLI process alive. A worker that crashes fails
 * only its own task and is replaced on the next dispatch.
 *
 * The queue is bounded: past `maxQueued` waiting tasks, `run` refuses at once
 * with PoolBusyError (the caller answers 503 + Retry-After) instead of letting
 * every caller wait longer than anyone will listen. A task whose `signal`
 * aborts while it waits leaves the queue without costing a worker anything.
 */
import { Worker } from "node:worker_threads";
import { abortReason, enqueue, settle, type Task } from "./task-queue.ts";

export interface PoolStats {
  size: number;
  workers: number;
  busy: number;
  queued: number;
  /** Tasks refused because the queue was full, since the pool opened. */
  refused: number;
}

export interface PoolOptions {
  /** Waiting tasks beyond which `run` refuses (default: unbounded). */
  maxQueued?: number;
  /** Passed to every worker as `workerData`. */
  workerData?: unknown;
}

export interface RunOptions {
  /** Aborting it while the task waits drops the task (rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
  taskId: number;
  dead: boolean;
}

export class PoolClosedError extends Error {
  constructor() {
    super("worker pool is closed");
    this.name = "PoolClosedError";
  }
}

/** The queue is full: the work was refused without waiting. */
export class PoolBusyError extends Error {
  constructor(readonly queued: number) {
    super(`worker pool is busy (${queued} tasks waiting)`);
    this.name = "PoolBusyError";
  }
}

/**
 * The thread or process computing this task died (an out-of-memory kill, a
 * crash): the task was not computed, and the next one gets a fresh worker.
 * A transient fault of the service, answered 503 like a full queue.
 */
export class HasherLostError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`password hasher lost: ${detail}`, options);
    this.name = "HasherLostError";
  }
}

export class WorkerPool {
  readonly #url: URL;
  readonly #size: number;
  readonly #maxQueued: number;
  readonly #workerData: unknown;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  #refused = 0;

  constructor(url: URL, size: number, opts: PoolOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
    const maxQueued = opts.maxQueued ?? Number.POSITIVE_INFINITY;
    if (!(maxQueued === Number.POSITIVE_INFINITY || (Number.isInteger(maxQueued) && maxQueued >= 0))) {
      throw new RangeError("maxQueued must be a non-negative integer");
    }
    this.#url = url;
    this.#size = size;
    this.#maxQueued = maxQueued;
    this.#workerData = opts.workerData;
  }

  run<T>(msg: Record<string, unknown>, opts: RunOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // Refuse only when the task would have to wait behind a full queue.
    const idle = this.#slots.some((s) => !s.task) || this.#slots.length < this.#size;
    if (!idle && this.#queue.length >= this.#maxQueued) {
      this.#refused++;
      return Promise.reject(new PoolBusyError(this.#queue.length));
    }
    return enqueue<T>(this.#queue, msg, signal, () => this.#dispatch());
  }

  stats(): PoolStats {
    return {
      size: this.#size,
      workers: this.#slots.length,
      busy: this.#slots.filter((s) => s.task).length,
      queued: this.#queue.length,
      refused: this.#refused,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) settle(task).reject(new PoolClosedError());
    const slots = this.#slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        slot.dead = true;
        if (slot.task) settle(slot.task).reject(new PoolClosedError());
        slot.task = undefined;
        await slot.worker.terminate();
      }),
    );
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => !s.task);
      if (!slot) {
        if (this.#slots.length >= this.#size) return;
        slot = this.#spawn();
      }
      const task = this.#queue.shift()!;
      if (task.signal && task.onAbort) task.signal.removeEventListener("abort", task.onAbort);
      slot.task = task;
      slot.taskId = this.#nextId++;
      slot.worker.ref();
      slot.worker.postMessage({ ...task.msg, id: slot.taskId });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(this.#url, { workerData: this.#workerData });
    const slot: Slot = { worker, task: undefined, taskId: 0, dead: false };
    slot.worker.on("message", (reply: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const task = slot.task;
      if (!task || reply.id !== slot.taskId) return;
      slot.task = undefined;
      if (!this.#closed) slot.worker.unref();
      if (reply.ok) task.resolve(reply.result);
      else task.reject(new Error(reply.error ?? "worker task failed"));
      this.#dispatch();
    });
    const fail = (error: Error) => {
      if (slot.dead) return;
      slot.dead = true;
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      slot.task?.reject(error);
      slot.task = undefined;
      void slot.worker.terminate();
      this.#dispatch();
    };
    slot.worker.on("error", (error: Error) => fail(new HasherLostError(error.message, { cause: error })));
    slot.worker.on("exit", (code: number) => fail(new HasherLostError(`worker exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }
}
