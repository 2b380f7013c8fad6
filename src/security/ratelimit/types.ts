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
  /**
   * Several policies for one request in one atomic step (one round trip on
   * Redis): consumes them in order and stops at the first refusal, only
   * looking (cost 0) at the rest, so a refused request spends nothing.
   */
  consumeMany?(items: readonly LimitItem[], cost?: number): Promise<Decision[]>;
  /**
   * Consumes as many units as every policy allows, at most `want` (a positive
   * integer), the same number of each, atomically (one round trip on Redis):
   * for a local allowance (lease.ts). When not even one unit is allowed it is
   * `consumeMany(items, 1)` refused, and `granted` is 0.
   */
  consumeUpTo?(items: readonly LimitItem[], want: number): Promise<Grant>;
  /**
   * One unit of every policy from what this process already holds (lease.ts),
   * synchronously: the decisions when a unit was handed out (always allowed),
   * undefined when the caller must ask `consumeMany` (then nothing was consumed).
   */
  consumeHeld?(items: readonly LimitItem[]): Decision[] | undefined;
  /** Resolves when the backing store answers (readiness). */
  ping?(): Promise<void>;
  close?(): Promise<void>;
}

/** What consumeUpTo gave: `granted` units of each policy (0: refused), and the decisions after them. */
export interface Grant {
  granted: number;
  decisions: Decision[];
}

/** `consumeUpTo` on limiters that lack it: one unit, exactly as consumeMany decides it. */
export async function consumeUpTo(
  limiter: RateLimiter,
  items: readonly LimitItem[],
  want: number,
): Promise<Grant> {
  if (limiter.consumeUpTo) return limiter.consumeUpTo(items, want);
  const decisions = await consumeMany(limiter, items, 1);
  return { granted: decisions.every((d) => d.allowed) ? 1 : 0, decisions };
}

export interface LimitItem {
  key: string;
  policy: RatePolicy;
}

/** `consumeMany` on limiters that lack it: the same semantics, one call per policy. */
export async function consumeMany(
  limiter: RateLimiter,
  items: readonly LimitItem[],
  cost = 1,
): Promise<Decision[]> {
  if (limiter.consumeMany) return limiter.consumeMany(items, cost);
  const out: Decision[] = [];
  let refused = false;
  for (const { key, policy } of items) {
    const d = await limiter.consume(key, policy, refused ? 0 : cost);
    out.push(d);
    if (!d.allowed && cost > 0) refused = true;
  }
  return out;
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
