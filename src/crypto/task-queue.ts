/**
 * The waiting tasks of the hashing pools (worker-pool.ts, hash-process.ts): a
 * FIFO whose tasks leave it, rejected, when their request's deadline aborts
 * before they start, so a timed-out login's hash is never computed.
 */
export interface Task {
  msg: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Queues `msg` and calls `dispatch`; the promise settles with the task. */
export function enqueue<T>(
  queue: Task[],
  msg: Record<string, unknown>,
  signal: AbortSignal | undefined,
  dispatch: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const task: Task = { msg, resolve: resolve as (v: unknown) => void, reject, signal, onAbort: undefined };
    if (signal) {
      task.onAbort = () => {
        const index = queue.indexOf(task);
        if (index < 0) return; // already running: let it finish
        queue.splice(index, 1);
        reject(abortReason(signal));
      };
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    queue.push(task);
    dispatch();
  });
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

/** A task leaving the queue for good: its abort listener goes with it. */
export function settle(task: Task): Task {
  if (task.signal && task.onAbort) task.signal.removeEventListener("abort", task.onAbort);
  return task;
}
