/**
 * The in-memory limiter: the embedded default (no REDIS_URL), the fallback
 * when Redis is unreachable, and the reference the Redis script is tested
 * against. Same GCRA, same decisions, per process.
 *
 * Memory is bounded: expired entries are swept as the map fills, and past
 * `maxKeys` live entries the least recently used are dropped (a key sprayer
 * can then reset someone's budget early, but cannot exhaust the heap).
 */
import { gcra } from "./gcra.ts";
import {
  checkConsume,
  consumeMany,
  type Decision,
  type Grant,
  type LimitItem,
  type RateLimiter,
  type RatePolicy,
} from "./types.ts";

export interface MemoryLimiterOptions {
  /** Milliseconds since the epoch (fractions allowed); defaults to Date.now. */
  clock?: () => number;
  /** Live keys kept at most (default 100,000), for states and refusal notices each. */
  maxKeys?: number;
}

/** Values with an expiry (µs); insertion order doubles as recency order. */
export class ExpiringMap<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, expiresAt: number, now: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt });
    if (this.map.size > this.maxKeys) this.shrink(now);
  }

  /** Drops expired entries, then the oldest until 10% below the bound (amortised O(1)). */
  private shrink(now: number): void {
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
    const target = Math.floor(this.maxKeys * 0.9);
    if (this.map.size <= target) return;
    for (const k of this.map.keys()) {
      this.map.delete(k);
      if (this.map.size <= target) break;
    }
  }
}

export interface MemoryLimiter extends RateLimiter {
  /** Live entries (states + notices), for tests and metrics. */
  readonly size: number;
}

export function memoryLimiter(opts: MemoryLimiterOptions = {}): MemoryLimiter {
  const clock = opts.clock ?? Date.now;
  const max = opts.maxKeys ?? 100_000;
  const tats = new ExpiringMap<number>(max);
  const notices = new ExpiringMap<true>(max);
  const limiter: MemoryLimiter = {
    get size() {
      return tats.size + notices.size;
    },
    // Each policy's step is atomic; another request may interleave between two (each stays exact).
    consumeMany: (items: readonly LimitItem[], cost = 1) =>
      consumeMany({ consume: limiter.consume }, items, cost),
    async consume(key: string, policy: RatePolicy, cost = 1): Promise<Decision> {
      checkConsume(policy, cost);
      return decide(key, policy, cost, Math.floor(clock() * 1000));
    },
    // Synchronous from the first look to the last consume: atomic, as the Redis script is.
    async consumeUpTo(items: readonly LimitItem[], want: number): Promise<Grant> {
      if (!Number.isInteger(want) || want < 1)
        throw new RangeError(`want must be a positive integer, got ${want}`);
      for (const { policy } of items) checkConsume(policy, 1);
      const now = Math.floor(clock() * 1000);
      let granted = want;
      for (const { key, policy } of items)
        granted = Math.min(
          granted,
          gcra(tats.get(key, now), now, policy.limit, policy.windowMs, 0).remaining,
        );
      let cost = Math.max(1, granted);
      const decisions = items.map(({ key, policy }) => {
        const d = decide(key, policy, cost, now);
        if (!d.allowed) cost = 0;
        return d;
      });
      return { granted: cost === 0 ? 0 : cost, decisions };
    },
    async ping() {},
  };

  function decide(key: string, policy: RatePolicy, cost: number, now: number): Decision {
    const r = gcra(tats.get(key, now), now, policy.limit, policy.windowMs, cost);
    if (r.newTat !== undefined) tats.set(key, r.newTat, r.newTat, now);
    const decision: Decision = {
      allowed: r.allowed,
      remaining: r.remaining,
      resetMs: r.resetMs,
      retryAfterMs: r.retryAfterMs,
      limit: policy.limit,
    };
    if (!r.allowed && cost > 0) {
      decision.firstRefusal = notices.get(key, now) === undefined;
      if (decision.firstRefusal) notices.set(key, true, now + policy.windowMs * 1000, now);
    }
    return decision;
  }
  return limiter;
}
