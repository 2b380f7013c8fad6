/**
 * A small fixed-size pool of `node:worker_threads` workers, one task per worker
 * at a time, FIFO queue. Workers start on demand, and an idle worker is unref'd
 * so an open pool never keeps a CLI process alive. A worker that crashes fails
 * only its own task and is replaced on the next dispatch.
 */
import { Worker } from "node:worker_threads";

export interface PoolStats {
  size: number;
  workers: number;
  busy: number;
  queued: number;
}

interface Task {
  msg: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
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

export class WorkerPool {
  readonly #url: URL;
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(url: URL, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
    this.#url = url;
    this.#size = size;
  }

  run<T>(msg: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ msg, resolve: resolve as (v: unknown) => void, reject });
      this.#dispatch();
    });
  }

  stats(): PoolStats {
    return {
      size: this.#size,
      workers: this.#slots.length,
      busy: this.#slots.filter((s) => s.task).length,
      queued: this.#queue.length,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new PoolClosedError());
    const slots = this.#slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        slot.dead = true;
        slot.task?.reject(new PoolClosedError());
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
      slot.task = task;
      slot.taskId = this.#nextId++;
      slot.worker.ref();
      slot.worker.postMessage({ ...task.msg, id: slot.taskId });
    }
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.#url), task: undefined, taskId: 0, dead: false };
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
    slot.worker.on("error", (error: Error) => fail(error));
    slot.worker.on("exit", (code: number) => fail(new Error(`worker exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }
}
