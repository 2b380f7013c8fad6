/**
 * A request's deadline, carried to the database layer so that running out of
 * time and committing can never both happen to one request.
 *
 * The HTTP timeout (src/http/middleware/timeout.ts) runs the handler inside
 * `runWithDeadline`; db/client.ts reads `currentDeadline()` on every statement
 * and transaction, so every feature gets the rule without passing anything:
 *
 * - After the deadline expires, no statement starts and no transaction commits
 *   (a transaction checks just before COMMIT and rolls back instead); a
 *   statement in flight is cancelled (postgres.js sends a cancel request).
 * - A commit point (a transaction's COMMIT, or a single autocommit write such as
 *   the event store's one-statement append) is registered while in flight.
 *   When the timer fires during one, `expire` waits for its outcome; when it
 *   committed, the request is no longer timed out: its handler finishes and the
 *   client gets the real answer. So a 503 always means nothing was committed.
 *
 * AsyncLocalStorage (node:async_hooks) is available on Node and Deno alike.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The deadline passed before the work committed; nothing of it was kept. */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
  constructor(options?: { cause?: unknown }) {
    super("the request deadline passed; its database work was not committed", options);
  }
}

export class Deadline {
  #controller: AbortController | undefined;
  #expired = false;
  // Plain callbacks rather than AbortSignal listeners: one is added and removed per
  // statement, and EventTarget's bookkeeping showed up in the query path. Both sets
  // are made on first use: every request has a deadline, most never touch them.
  #onExpire: Set<() => void> | undefined;
  #inFlight: Set<Promise<boolean>> | undefined;
  #committed = false;

  /** Aborted when the deadline expires with nothing committed (for work outside the database). */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#expired) this.#controller.abort(new DeadlineExceededError());
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#expired;
  }

  /** Calls `cancel` if the deadline expires before the returned function is called. */
  whileRunning(cancel: () => void): () => void {
    this.#onExpire ??= new Set();
    const onExpire = this.#onExpire;
    onExpire.add(cancel);
    return () => {
      onExpire.delete(cancel);
    };
  }

  /** True once any commit point of this request succeeded. */
  get committed(): boolean {
    return this.#committed;
  }

  /** Throws when the deadline has expired: no new database work may start. */
  check(): void {
    if (this.expired) throw new DeadlineExceededError();
  }

  /**
   * Opens a commit point (refused once expired). Call the returned function with
   * whether it committed as soon as that is known.
   */
  enterCommit(): (committed: boolean) => void {
    this.check();
    let settle!: (committed: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    this.#inFlight ??= new Set();
    const inFlight = this.#inFlight;
    inFlight.add(outcome);
    return (committed) => {
      if (committed) this.#committed = true;
      inFlight.delete(outcome);
      settle(committed);
    };
  }

  /** Runs one autocommit write as a commit point. */
  async commitPoint<T>(fn: () => Promise<T>): Promise<T> {
    const done = this.enterCommit();
    try {
      const result = await fn();
      done(true);
      return result;
    } catch (err) {
      done(false);
      throw err;
    }
  }

  /**
   * The timer fired. Resolves `true` when the request may answer "timed out"
   * (nothing committed; the signal is now aborted and every later statement and
   * commit is refused), `false` when work committed and the handler must be
   * allowed to finish with its real result.
   */
  async expire(): Promise<boolean> {
    while (!this.#committed && this.#inFlight && this.#inFlight.size > 0)
      await Promise.all([...this.#inFlight]);
    if (this.#committed) return false;
    this.#expired = true;
    for (const cancel of this.#onExpire ?? []) cancel();
    this.#onExpire?.clear();
    this.#controller?.abort(new DeadlineExceededError());
    return true;
  }
}

const storage = new AsyncLocalStorage<Deadline>();

/** The deadline of the request this code runs for, if any. */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore();
}

export function runWithDeadline<T>(deadline: Deadline, fn: () => T): T {
  return storage.run(deadline, fn);
}

/**
 * Runs `fn` outside any request's deadline: for work shared between requests
 * (a cache reload several requests await) or fired and forgotten (evidence
 * appends), which must not fail because the request that started it timed out.
 */
export function withoutDeadline<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** A commit point when a deadline is in force, a plain call otherwise. */
export function atCommitPoint<T>(fn: () => Promise<T>): Promise<T> {
  const d = currentDeadline();
  return d ? d.commitPoint(fn) : fn();
}
