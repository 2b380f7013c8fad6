/**
 * Giving up fast on a dependency that can fail (Redis): a per-call time limit,
 * and a breaker that, after a failure, skips the dependency for `retryMs` and
 * then lets one call probe it. A dead or frozen dependency so costs one time
 * limit per `retryMs`, not one per request, and nothing piles up behind it.
 */
import { setImmediate } from "node:timers";

export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** Thrown without trying while the breaker is open: the caller takes its fallback at once. */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
}

/**
 * Rejects if `p` has not settled `ms` after the call. The rejection waits for
 * the poll phase: when the process itself is saturated, the timer may be due
 * while the answer already sits in the socket; that is our lag, not the store's.
 */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return settleWithin(
    p,
    ms,
    () => {},
    () => {},
  );
}

/**
 * `p` bounded by `ms`, with `onValue`/`onError` called once, before the caller
 * sees the outcome. One promise and one timer rather than a race and a
 * `finally`: every call to Redis goes through here, and each promise costs more
 * while the request deadline's AsyncLocalStorage is active.
 */
function settleWithin<T>(
  p: Promise<T>,
  ms: number,
  onValue: () => void,
  onError: (err: unknown) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          const err = new TimeoutError(`no answer within ${ms} ms`);
          onError(err);
          reject(err);
        }),
      ms,
    );
    p.then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        onValue();
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        onError(err);
        reject(err);
      },
    );
  });
}

export interface BreakerOptions {
  /** Longest wait per call (ms). */
  timeoutMs: number;
  /** How long to skip the dependency after a failure before probing it again (ms). */
  retryMs: number;
  /** Milliseconds; defaults to Date.now. */
  clock?: () => number;
  /** Called once when the breaker opens (first failure) and once when it closes again. */
  onOpen?: (err: unknown) => void;
  onClose?: () => void;
}

export class Breaker {
  #open = false;
  #retryAt = 0;
  readonly #clock: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.#clock = opts.clock ?? Date.now;
  }

  /** True while the dependency is considered away. */
  get open(): boolean {
    return this.#open;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#open) {
      if (this.#clock() < this.#retryAt)
        return Promise.reject(new UnavailableError("dependency unavailable; not tried"));
      this.#retryAt = this.#clock() + this.opts.retryMs; // one probe per period; the rest fail fast
    }
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (err) {
      this.fail(err);
      return Promise.reject(err);
    }
    return settleWithin(
      pending,
      this.opts.timeoutMs,
      () => this.succeed(),
      (err) => this.fail(err),
    );
  }

  fail(err: unknown): void {
    this.#retryAt = this.#clock() + this.opts.retryMs;
    if (this.#open) return;
    this.#open = true;
    this.opts.onOpen?.(err);
  }

  succeed(): void {
    if (!this.#open) return;
    this.#open = false;
    this.opts.onClose?.();
  }
}
