/**
 * The rate-limiter port. Every store (Redis, memory, the resilient pair) runs
 * the same GCRA (gcra.ts), so a decision means the same thing wherever it came from.
 */

export interface RatePolicy {
  /** Units allowed per window (also the largest burst). */
  limit: number;
  windowMs: number;
}

/** A policy with the name it is advertised under (RateLimit-Policy) and keyed by. */
export interface NamedPolicy extends RatePolicy {
  /** Lowercase letters, digits and dashes: it appears in Redis keys, headers and stream ids. */
  name: string;
}

export interface Decision {
  allowed: boolean;
  /** Units still available right now (after this consume when allowed). */
  remaining: number;
  /** Until the budget is full again (ms). */
  resetMs: number;
  /** When refused: until this consume would be allowed (ms); 0 when allowed. */
  retryAfterMs: number;
  limit: number;
  /**
   * True on the first refusal for this key within a window: the caller records
   * evidence then, not on every refused request. Stores set it only on refusals.
   */
  firstRefusal?: boolean;
}

export interface RateLimiter {
  /**
   * Checks and consumes `cost` units (default 1) atomically. `cost` 0 consumes
   * nothing and reports whether one unit would be allowed.
   */
  consume(key: string, policy: RatePolicy, cost?: number): Promise<Decision>;
  /** Resolves when the backing store answers (readiness). */
  ping?(): Promise<void>;
  close?(): Promise<void>;
}

export const POLICY_NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;

export function checkConsume(policy: RatePolicy, cost: number): void {
  if (!Number.isInteger(policy.limit) || policy.limit < 1)
    throw new RangeError(`rate limit must be a positive integer, got ${policy.limit}`);
  if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1)
    throw new RangeError(`rate window must be a positive integer (ms), got ${policy.windowMs}`);
  if (!Number.isInteger(cost) || cost < 0 || cost > policy.limit)
    throw new RangeError(`cost must be an integer in [0, ${policy.limit}], got ${cost}`);
}
