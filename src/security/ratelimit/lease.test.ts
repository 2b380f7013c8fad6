/** Leased allowances (lease.ts) over the in-memory store standing in for Redis, on a clock the test drives. */
import { describe, expect, it } from "vitest";
import { leasingLimiter } from "./lease.ts";
import { memoryLimiter } from "./memory.ts";
import type { Decision, LimitItem, RateLimiter } from "./types.ts";

function manualClock(startMs = 1_767_225_600_000) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** The shared store, counting the calls that reach it and the units it gave. */
function countingStore(clock: () => number) {
  const store = memoryLimiter({ clock });
  const stats = { calls: 0, units: 0 };
  const counted: RateLimiter = {
    consume: store.consume,
    consumeMany: store.consumeMany,
    async consumeUpTo(items: readonly LimitItem[], want: number) {
      stats.calls++;
      const grant = await store.consumeUpTo!(items, want);
      stats.units += grant.granted;
      return grant;
    },
  };
  return { store, counted, stats };
}

const items = (limit: number, windowMs = 60_000): LimitItem[] => [
  { key: "ip-minute:a", policy: { limit, windowMs } },
  { key: "ip-hour:a", policy: { limit: limit * 10, windowMs: windowMs * 10 } },
];

const allowed = (ds: Decision[][]) => ds.filter((d) => d.every((x) => x.allowed)).length;

describe("leasingLimiter", () => {
  it("consumeHeld hands out only units the store already granted, synchronously, then nothing", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now });
    const big = items(600_000);
    expect(limiter.consumeHeld!(big)).toBeUndefined();
    expect(stats.calls).toBe(0);
    // Demand makes the lease run ahead of it.
    for (let i = 0; i < 20; i++) {
      await limiter.consumeMany!(big);
      clock.advance(5);
      await new Promise((r) => setImmediate(r));
    }
    let held = 0;
    while (limiter.consumeHeld!(big)) held++;
    expect(held).toBeGreaterThan(0);
    // Not one unit more than the store gave (a refill asked for meanwhile has not answered yet).
    expect(20 + held).toBe(stats.units);
    // Held units expire with their lease.
    await limiter.consumeMany!(big);
    clock.advance(1000);
    expect(limiter.consumeHeld!(big)).toBeUndefined();
  });

  it("under a small limit hands out exactly the limit, in one store call per burst, with one evidence flag", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now });
    const results = await Promise.all(Array.from({ length: 25 }, () => limiter.consumeMany!(items(10))));
    expect(allowed(results)).toBe(10);
    expect(stats.units).toBe(10);
    const refusals = results.filter((d) => !d[0]!.allowed);
    expect(refusals).toHaveLength(15);
    expect(refusals.filter((d) => d[0]!.firstRefusal)).toHaveLength(1);
    expect(refusals.every((d) => d[0]!.retryAfterMs > 0)).toBe(true);
    // The burst's requests waited for the store together, not one call each.
    expect(stats.calls).toBeLessThanOrEqual(3);
    // Nothing leased ahead of demand under such a limit: once spent, the store refuses.
    clock.advance(1000);
    const later = await limiter.consumeMany!(items(10));
    expect(later[0]!.allowed).toBe(false);
    expect(stats.units).toBe(10);
  });

  it("under a large limit serves most requests from units already leased, never more than the store gave", async () => {
    const clock = manualClock();
    const { store, counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now });
    const big = items(6_000_000);
    let served = 0;
    for (let round = 0; round < 50; round++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => limiter.consumeMany!(big)));
      served += allowed(batch);
    }
    expect(served).toBe(1000);
    expect(stats.units).toBeGreaterThanOrEqual(served);
    expect(stats.calls).toBeLessThan(served / 4);
    // The store itself counts every leased unit as spent (no time passed: nothing refilled).
    const look = await store.consume("ip-minute:a", big[0]!.policy, 0);
    expect(6_000_000 - look.remaining).toBe(stats.units);
  });

  it("drops leased units at the end of the lease instead of handing them out late", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now, leaseMs: 1000, minBatch: 1 });
    const policy = [{ key: "k", policy: { limit: 600, windowMs: 60_000 } }];
    for (let i = 0; i < 30; i++) await limiter.consumeMany!(policy);
    const callsBefore = stats.calls;
    clock.advance(1001);
    expect((await limiter.consumeMany!(policy))[0]!.allowed).toBe(true);
    expect(stats.calls).toBe(callsBefore + 1);
  });

  it("two servers leasing from one store never exceed the limit together", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const a = leasingLimiter(counted, { clock: clock.now, leaseMs: 60_000, minBatch: 1 });
    const b = leasingLimiter(counted, { clock: clock.now, leaseMs: 60_000, minBatch: 1 });
    const policy = [{ key: "shared", policy: { limit: 50, windowMs: 60_000 } }];
    const results: Decision[][] = [];
    for (let i = 0; i < 40; i++) {
      results.push(
        ...(await Promise.all([
          a.consumeMany!(policy),
          b.consumeMany!(policy),
          a.consumeMany!(policy),
          b.consumeMany!(policy),
        ])),
      );
    }
    expect(allowed(results)).toBeLessThanOrEqual(50);
    expect(allowed(results)).toBeLessThanOrEqual(stats.units);
  });

  it("passes looks (cost 0) and other costs to the store", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now });
    const look = await limiter.consumeMany!(items(10), 0);
    expect(look[0]).toMatchObject({ allowed: true, remaining: 10 });
    expect((await limiter.consumeMany!(items(10), 3))[0]).toMatchObject({ allowed: true, remaining: 7 });
    expect(stats.calls).toBe(0);
  });
  it("drops units leased under a subject's old policy when its limit changes", async () => {
    const clock = manualClock();
    const { counted, stats } = countingStore(clock.now);
    const limiter = leasingLimiter(counted, { clock: clock.now, minBatch: 1 });
    const under = (limit: number) => [{ key: "key:k1", policy: { limit, windowMs: 1000 } }];
    await Promise.all(Array.from({ length: 20 }, () => limiter.consumeMany!(under(1000))));
    await limiter.consumeMany!(under(1000));
    const calls = stats.calls;
    const d = await limiter.consumeMany!(under(5000));
    expect(stats.calls).toBe(calls + 1);
    expect(d[0]!.limit).toBe(5000);
  });
});
