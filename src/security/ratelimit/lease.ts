/**
 * Local allowances leased from the shared limiter, so that a busy subject under
 * a large limit does not cost a Redis round trip per request.
 *
 * Every unit handed out here was consumed in the shared store first: a lease is
 * `consumeUpTo` (one atomic script call) taking a batch of units of every
 * policy of the request at once, which this process then hands out one per
 * request. So the limit is never exceeded across servers; a server holding
 * units only makes the others see fewer. Units not used within `leaseMs` are
 * dropped, never handed out late, which only makes the limit stricter, and by
 * little: a lease asks for more than the requests already waiting only when
 * every policy refills at least `minBatch` units per `leaseMs` (large limits:
 * the default per-IP, per-user and per-key policies never qualify), and for no
 * more than one `leaseMs` of refill.
 *
 * Requests of one subject arriving together wait for one lease call between
 * them; a refusal is the store's own (its decision, its evidence flag, given to
 * one of the waiters). `cost` other than 1 (looks, cost 0) goes to the store as
 * before; a look does not see units held here, so it errs on the side of "spent".
 */
import { setImmediate } from "node:timers";
import { consumeMany, consumeUpTo, type Decision, type LimitItem, type RateLimiter } from "./types.ts";

export interface LeaseOptions {
  /** How long leased units stay usable (ms). */
  leaseMs?: number;
  /** Least refill per `leaseMs`, for every policy of a request, before leases run ahead of demand. */
  minBatch?: number;
  /** Subjects tracked at most; idle ones are dropped first. */
  maxSubjects?: number;
  /** Milliseconds; defaults to Date.now. */
  clock?: () => number;
}

interface Lease {
  readonly items: readonly LimitItem[];
  /** Units at most to lease beyond the waiting requests (0: only what is asked). */
  readonly ahead: number;
  units: number;
  until: number;
  decisions: Decision[];
  /** Units handed out since the last lease call began, and when it began: the demand the next one plans for. */
  handedOut: number;
  since: number;
  waiting: number;
  /** The lease call in flight; resolves to the refusal when the store refused. */
  call: Promise<Refusal | undefined> | undefined;
}

interface Refusal {
  decisions: Decision[];
  /** The evidence flag goes to one waiter only, as the store set it once. */
  flagTaken: boolean;
}

export function leasingLimiter(inner: RateLimiter, opts: LeaseOptions = {}): RateLimiter {
  const leaseMs = opts.leaseMs ?? 1000;
  const minBatch = opts.minBatch ?? 100;
  const maxSubjects = opts.maxSubjects ?? 10_000;
  const clock = opts.clock ?? Date.now;
  const leases = new Map<string, Lease>();

  // The joined key of an item list the caller keeps and passes again (the middleware's held lists).
  const keys = new WeakMap<readonly LimitItem[], string>();

  function leaseFor(items: readonly LimitItem[]): Lease {
    let key = items.length === 1 ? items[0]!.key : keys.get(items);
    if (key === undefined) {
      key = items.map((i) => i.key).join("\n");
      keys.set(items, key);
    }
    let lease = leases.get(key);
    // A subject's policy may change (an API key's own limit): its units were leased under the old one.
    if (lease && (lease.call || samePolicies(lease.items, items))) return lease;
    if (leases.size >= maxSubjects) sweep();
    let ahead = Number.POSITIVE_INFINITY;
    for (const { policy } of items)
      ahead = Math.min(ahead, Math.floor((policy.limit * leaseMs) / policy.windowMs));
    lease = {
      items,
      ahead: ahead >= minBatch ? ahead : 0,
      units: 0,
      until: 0,
      decisions: [],
      handedOut: 0,
      since: 0,
      waiting: 0,
      call: undefined,
    };
    leases.set(key, lease);
    return lease;
  }

  function samePolicies(a: readonly LimitItem[], b: readonly LimitItem[]): boolean {
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!.policy;
      const y = b[i]!.policy;
      if (x.limit !== y.limit || x.windowMs !== y.windowMs) return false;
    }
    return true;
  }

  function sweep(): void {
    const now = clock();
    for (const [key, l] of leases) if (!l.call && (l.units === 0 || l.until <= now)) leases.delete(key);
    // Still full of live leases: drop the oldest (their units are only lost, never over-spent).
    for (const key of leases.keys()) {
      if (leases.size < maxSubjects) break;
      if (!leases.get(key)!.call) leases.delete(key);
    }
  }

  /** One lease call for every request of this subject arriving in this turn of the event loop. */
  function call(lease: Lease): Promise<Refusal | undefined> {
    lease.call ??= new Promise<Refusal | undefined>((resolve, reject) => {
      setImmediate(() => {
        // Ahead of demand by a quarter of a lease's life at the rate seen since the last call.
        const now = clock();
        const rate = lease.handedOut / Math.max(1, now - lease.since);
        const want = lease.waiting + Math.min(lease.ahead, Math.ceil((rate * leaseMs) / 4));
        lease.handedOut = 0;
        lease.since = now;
        consumeUpTo(inner, lease.items, Math.max(1, want)).then(
          ({ granted, decisions }) => {
            lease.call = undefined;
            if (granted === 0) return resolve({ decisions, flagTaken: false });
            const now = clock();
            if (lease.until <= now) lease.units = 0;
            lease.units += granted;
            lease.until = now + leaseMs;
            lease.decisions = decisions;
            resolve(undefined);
          },
          (err: unknown) => {
            lease.call = undefined;
            reject(err);
          },
        );
      });
    });
    return lease.call;
  }

  /** The decisions of a unit handed out here: the store's, with the units still held counted as remaining. */
  function handOut(lease: Lease): Decision[] {
    lease.units--;
    lease.handedOut++;
    // Half spent while demand runs ahead: lease the next batch before anyone has to wait for it.
    if (lease.ahead > 0 && !lease.call && lease.units * 2 < lease.handedOut) void call(lease).catch(() => {});
    const held = lease.units;
    return lease.decisions.map((d) => ({ ...d, remaining: d.remaining + held }));
  }

  async function take(items: readonly LimitItem[]): Promise<Decision[]> {
    const lease = leaseFor(items);
    for (;;) {
      if (lease.units > 0 && clock() < lease.until) return handOut(lease);
      lease.waiting++;
      let refusal: Refusal | undefined;
      try {
        refusal = await call(lease);
      } finally {
        lease.waiting--;
      }
      if (refusal) {
        const first = !refusal.flagTaken;
        refusal.flagTaken = true;
        return first ? refusal.decisions : refusal.decisions.map((d) => ({ ...d, firstRefusal: false }));
      }
    }
  }

  return {
    consume: async (key, policy, cost = 1) => (await limiterMany([{ key, policy }], cost))[0]!,
    consumeMany: limiterMany,
    consumeHeld(items) {
      if (items.length === 0) return undefined;
      const lease = leaseFor(items);
      return lease.units > 0 && clock() < lease.until ? handOut(lease) : undefined;
    },
    ping: inner.ping ? () => inner.ping!() : undefined,
    close: inner.close ? () => inner.close!() : undefined,
  };

  function limiterMany(items: readonly LimitItem[], cost = 1): Promise<Decision[]> {
    if (cost !== 1 || items.length === 0) return consumeMany(inner, items, cost);
    return take(items);
  }
}
