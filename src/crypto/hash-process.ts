/**
 * Argon2id in one child process (argon2-process.mjs), up to `concurrency` hashes
 * at a time, behind the same bounded, deadline-aware FIFO queue as WorkerPool.
 *
 * Why a process: native argon2 computes on libuv's threadpool, so in the server's
 * own process it runs at normal priority whatever the calling thread's niceness,
 * and the event loop queues behind it. A child process is niced as a whole (each
 * thread it starts inherits the niceness), so requests that need no hash are
 * scheduled first. The queue stays here: a login refused or dropped on its
 * deadline never reaches the child.
 *
 * The child starts on demand and is unref'd while idle (an open hasher never keeps
 * a CLI process alive). Should it die, the hashes it was running fail and the next
 * one starts a new child. Node only: Deno runs the worker-thread pool instead.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { abortReason, enqueue, settle, type Task } from "./task-queue.ts";
import {
  HasherLostError,
  PoolBusyError,
  PoolClosedError,
  type PoolStats,
  type RunOptions,
} from "./worker-pool.ts";

export interface HashProcessOptions {
  /** Waiting tasks beyond which `run` refuses (default: unbounded). */
  maxQueued?: number;
  /** Niceness of the whole child process, 0..19. */
  nice?: number;
  /** The child's environment (beside PATH and the like; none of the parent's secrets). */
  env?: Record<string, string>;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class HashProcess {
  readonly #path: string;
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #env: Record<string, string>;
  readonly #queue: Task[] = [];
  readonly #running = new Map<number, Task>();
  /** Replies awaited for control messages (not hashes: no slot, no queue). */
  readonly #controls = new Map<number, Pick<Task, "resolve" | "reject">>();
  #child: ChildProcess | undefined;
  #nextId = 1;
  #closed = false;
  #refused = 0;

  constructor(url: URL, concurrency: number, opts: HashProcessOptions = {}) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError("concurrency must be a positive integer");
    const maxQueued = opts.maxQueued ?? Number.POSITIVE_INFINITY;
    if (!(maxQueued === Number.POSITIVE_INFINITY || (Number.isInteger(maxQueued) && maxQueued >= 0))) {
      throw new RangeError("maxQueued must be a non-negative integer");
    }
    this.#path = fileURLToPath(url);
    this.#concurrency = concurrency;
    this.#maxQueued = maxQueued;
    this.#env = {
      ...opts.env,
      VIGIL_HASH_NICE: String(opts.nice ?? 0),
      // Each running hash holds a threadpool thread for its whole computation.
      UV_THREADPOOL_SIZE: String(concurrency),
    };
  }

  run<T>(msg: Record<string, unknown>, opts: RunOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // Refuse only when the task would have to wait behind a full queue.
    if (this.#running.size >= this.#concurrency && this.#queue.length >= this.#maxQueued) {
      this.#refused++;
      return Promise.reject(new PoolBusyError(this.#queue.length));
    }
    return enqueue<T>(this.#queue, msg, signal, () => this.#dispatch());
  }

  stats(): PoolStats {
    return {
      size: this.#concurrency,
      workers: this.#child ? this.#concurrency : 0,
      busy: this.#running.size,
      queued: this.#queue.length,
      refused: this.#refused,
    };
  }

  /** The child's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * CPU time the running child has used, every thread, in ms (0 when none runs):
   * the bench sets it beside this process's own. Answered at once, past the queue.
   */
  cpuMs(): Promise<number> {
    return this.#control<number>("cpu", 0);
  }

  /** Niceness of each of the child's threads (Linux; empty elsewhere or when none runs). */
  priorities(): Promise<number[]> {
    return this.#control<number[]>("priorities", []);
  }

  #control<T>(op: string, none: T): Promise<T> {
    const child = this.#child;
    if (!child?.connected) return Promise.resolve(none);
    const id = this.#nextId++;
    setRef(child, true); // awaited like a hash: the answer must be able to arrive
    return new Promise<T>((resolve, reject) => {
      this.#controls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ op, id }, (error) => {
        if (error && this.#controls.delete(id)) {
          reject(error);
          this.#idleCheck();
        }
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) settle(task).reject(new PoolClosedError());
    this.#failRunning(new PoolClosedError());
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      setRef(child, true); // an idle child is unref'd: keep the loop alive until it has gone
      child.kill();
      await exited;
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#running.size < this.#concurrency && !this.#closed) {
      const child = this.#child ?? this.#spawn();
      const task = settle(this.#queue.shift()!);
      const id = this.#nextId++;
      this.#running.set(id, task);
      setRef(child, true);
      child.send({ ...task.msg, id }, (error) => {
        if (!error) return;
        // The channel closed under us: the exit handler fails the task, unless the
        // send failed on its own, then only this one.
        if (this.#running.get(id) === task) {
          this.#running.delete(id);
          task.reject(error);
          this.#idleCheck();
        }
      });
    }
  }

  #spawn(): ChildProcess {
    const child = fork(this.#path, [], {
      // Not the server's environment: the child needs none of its secrets, nor its
      // NODE_OPTIONS (preloaded agents, loaders).
      env: { ...inherited(), ...this.#env },
      // Plain JavaScript: no loader (tsx, a profiler) is passed on from the server's flags.
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
      // Linux: a session of its own, hence a scheduler autogroup of its own that the
      // child can nice as a whole (argon2-process.mjs). It still exits with us: it
      // leaves when the IPC channel closes.
      detached: process.platform === "linux",
    });
    this.#child = child;
    child.on("message", (reply: Reply) => {
      const control = this.#controls.get(reply.id);
      if (control) {
        this.#controls.delete(reply.id);
        if (reply.ok) control.resolve(reply.result);
        else control.reject(new Error(reply.error ?? "hash process control failed"));
        this.#idleCheck();
        return;
      }
      const task = this.#running.get(reply.id);
      if (!task) return;
      this.#running.delete(reply.id);
      if (reply.ok) task.resolve(reply.result);
      else task.reject(new Error(reply.error ?? "hash task failed"));
      this.#idleCheck();
      this.#dispatch();
    });
    const fail = (error: Error) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#failRunning(error);
      child.kill();
      this.#dispatch();
    };
    child.on("error", (error) => fail(new HasherLostError(error.message, { cause: error })));
    child.on("exit", (code, sig) =>
      fail(new HasherLostError(`hash process exited (${sig ?? `code ${code}`})`)),
    );
    return child;
  }

  #failRunning(error: Error): void {
    const running = [...this.#running.values(), ...this.#controls.values()];
    this.#running.clear();
    this.#controls.clear();
    for (const task of running) task.reject(error);
  }

  /** An idle child (nothing running or awaited) does not keep the process alive. */
  #idleCheck(): void {
    const idle = this.#running.size === 0 && this.#queue.length === 0 && this.#controls.size === 0;
    if (idle && this.#child) setRef(this.#child, false);
  }
}

/** What the runtime itself may need to start: where to find binaries and shared libraries. */
function inherited(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "LD_LIBRARY_PATH", "SYSTEMROOT"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function setRef(child: ChildProcess, on: boolean): void {
  // The IPC channel holds the event loop open on its own, beside the child handle.
  const channel = child.channel as { ref?(): void; unref?(): void } | null | undefined;
  if (on) {
    child.ref();
    channel?.ref?.();
  } else {
    child.unref();
    channel?.unref?.();
  }
}
