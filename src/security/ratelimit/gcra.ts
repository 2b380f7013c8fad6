/**
 * GCRA (generic cell rate algorithm), the one definition of a decision. State
 * is a single number per key, the theoretical arrival time (TAT, µs). Redis runs
 * the same arithmetic in Lua (redis.ts); keep the two in step, a property test
 * checks they agree decision for decision.
 *
 * All arithmetic is on integer microseconds so it is exact in doubles (and
 * identical in JS and Lua): the emission interval is rounded up to a whole µs,
 * and the capacity is `limit` intervals, so a fresh key takes exactly `limit`
 * at once and the sustained rate never exceeds limit / window.
 *
 * Semantics: a burst of up to `limit`, then one unit per `window / limit`.
 * Over any span of D µs at most `limit + floor(D / interval)` units are
 * allowed (so up to 2·limit−1 within one window after a long idle, never more
 * than `limit` per window at a sustained rate).
 */

export interface GcraResult {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** The TAT to store (µs) when allowed and cost > 0; undefined: leave state alone. */
  newTat: number | undefined;
}

export function intervalUs(limit: number, windowMs: number): number {
  return Math.ceil((windowMs * 1000) / limit);
}

/** `stored` is the key's TAT or undefined; `now` is integer µs. */
export function gcra(
  stored: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number,
): GcraResult {
  const interval = intervalUs(limit, windowMs);
  const capacity = limit * interval;
  const tat = stored === undefined || stored < now ? now : stored;
  if (cost === 0) {
    const remaining = Math.floor((now + capacity - tat) / interval);
    const allowed = remaining >= 1;
    return {
      allowed,
      remaining,
      resetMs: Math.ceil((tat - now) / 1000),
      retryAfterMs: allowed ? 0 : Math.ceil((tat + interval - capacity - now) / 1000),
      newTat: undefined,
    };
  }
  const newTat = tat + cost * interval;
  if (newTat - now <= capacity) {
    return {
      allowed: true,
      remaining: Math.floor((now + capacity - newTat) / interval),
      resetMs: Math.ceil((newTat - now) / 1000),
      retryAfterMs: 0,
      newTat,
    };
  }
  return {
    allowed: false,
    remaining: Math.floor((now + capacity - tat) / interval),
    resetMs: Math.ceil((tat - now) / 1000),
    retryAfterMs: Math.ceil((newTat - capacity - now) / 1000),
    newTat: undefined,
  };
}
