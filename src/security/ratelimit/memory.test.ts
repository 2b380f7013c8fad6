/** The in-memory limiter (and so the GCRA itself) on a clock the test drives. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { intervalUs } from "./gcra.ts";
import { ExpiringMap, memoryLimiter } from "./memory.ts";

function manualClock(startMs = 1_767_225_600_000) {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const perMinute = (limit: number) => ({ limit, windowMs: 60_000 });

describe("memoryLimiter", () => {
  it("allows a burst of exactly `limit`, then refuses with Retry-After until one unit is back", async () => {
    const clock = manualClock();
    const limiter = memoryLimiter({ clock: clock.now });
    for (let i = 0; i < 5; i++) {
      const d = await limiter.consume("k", perMinute(5));
      expect(d).toMatchObject({ allowed: true, remaining: 4 - i, retryAfterMs: 0, limit: 5 });
    }
    const refused = await limiter.consume("k", perMinute(5));
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 12_000, resetMs: 60_000 });
    clock.advance(11_999);
    expect((await limiter.consume("k", perMinute(5))).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.consume("k", perMinute(5))).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("returns the whole budget once a window has passed", async () => {
    const clock = manualClock();
    const limiter = memoryLimiter({ clock: clock.now });
    for (let i = 0; i < 3; i++) await limiter.consume("k", perMinute(3));
    expect((await limiter.consume("k", perMinute(3))).allowed).toBe(false);
    clock.advance(60_000);
    const d = await limiter.consume("k", perMinute(3));
    expect(d).toMatchObject({ allowed: true, remaining: 2 });
  });

  it("keeps keys apart and charges `cost` units; cost 0 only looks", async () => {
    const clock = manualClock();
    const limiter = memoryLimiter({ clock: clock.now });
    expect(await limiter.consume("a", perMinute(10), 7)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await limiter.consume("a", perMinute(10), 4)).toMatchObject({ allowed: false, remaining: 3 });
    expect(await limiter.consume("a", perMinute(10), 0)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await limiter.consume("b", perMinute(10))).toMatchObject({ allowed: true, remaining: 9 });
    await limiter.consume("a", perMinute(10), 3);
    expect(await limiter.consume("a", perMinute(10), 0)).toMatchObject({ allowed: false, remaining: 0 });
  });

  it("flags only the first refusal of a key in a window", async () => {
    const clock = manualClock();
    const limiter = memoryLimiter({ clock: clock.now });
    await limiter.consume("k", perMinute(1));
    const flags: (boolean | undefined)[] = [];
    for (let i = 0; i < 20; i++) flags.push((await limiter.consume("k", perMinute(1))).firstRefusal);
    expect(flags.filter((f) => f === true)).toHaveLength(1);
    expect(flags[0]).toBe(true);
    clock.advance(60_000);
    await limiter.consume("k", perMinute(1));
    expect((await limiter.consume("k", perMinute(1))).firstRefusal).toBe(true);
  });

  it("refuses nonsense policies and costs", async () => {
    const limiter = memoryLimiter();
    await expect(limiter.consume("k", { limit: 0, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(limiter.consume("k", { limit: 5, windowMs: 1000 }, 6)).rejects.toThrow(RangeError);
    await expect(limiter.consume("k", { limit: 5, windowMs: 1000 }, -1)).rejects.toThrow(RangeError);
  });

  it("stays bounded under key spraying", async () => {
    const clock = manualClock();
    const limiter = memoryLimiter({ clock: clock.now, maxKeys: 1000 });
    for (let i = 0; i < 20_000; i++) await limiter.consume(`spray-${i}`, perMinute(5));
    expect(limiter.size).toBeLessThanOrEqual(1000);
    // Expired entries go first: after a window everything is sweepable.
    clock.advance(60_001);
    for (let i = 0; i < 1001; i++) await limiter.consume(`late-${i}`, perMinute(5));
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });

  it("ExpiringMap forgets expired values and evicts the least recently set", () => {
    const m = new ExpiringMap<number>(10);
    m.set("old", 1, 100, 0);
    expect(m.get("old", 99)).toBe(1);
    expect(m.get("old", 100)).toBeUndefined();
    for (let i = 0; i < 11; i++) m.set(`k${i}`, i, 1_000, 0);
    expect(m.size).toBe(9);
    expect(m.get("k0", 0)).toBeUndefined();
    expect(m.get("k10", 0)).toBe(10);
  });
});

describe("GCRA properties (in memory)", () => {
  const policyArb = fc.record({
    limit: fc.integer({ min: 1, max: 50 }),
    windowMs: fc.integer({ min: 1, max: 120_000 }),
  });
  const stepsArb = fc.array(
    fc.record({ dtMs: fc.integer({ min: 0, max: 5000 }), cost: fc.integer({ min: 0, max: 3 }) }),
    { minLength: 1, maxLength: 150 },
  );

  it("never allows more than limit + span/interval units in any span (never above the rate)", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, stepsArb, async (policy, steps) => {
        const clock = manualClock();
        const limiter = memoryLimiter({ clock: clock.now });
        const granted: { at: number; cost: number }[] = [];
        for (const s of steps) {
          clock.advance(s.dtMs);
          const cost = Math.min(s.cost, policy.limit);
          const d = await limiter.consume("k", policy, cost);
          expect(d.remaining).toBeGreaterThanOrEqual(0);
          expect(d.remaining).toBeLessThanOrEqual(policy.limit);
          if (d.allowed && cost > 0) granted.push({ at: clock.now() * 1000, cost });
          if (!d.allowed) expect(d.retryAfterMs).toBeGreaterThan(0);
        }
        const interval = intervalUs(policy.limit, policy.windowMs);
        for (let i = 0; i < granted.length; i++) {
          let units = 0;
          for (let j = i; j < granted.length; j++) {
            units += granted[j]!.cost;
            const span = granted[j]!.at - granted[i]!.at;
            expect(units).toBeLessThanOrEqual(policy.limit + Math.floor(span / interval));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a fresh key grants exactly `limit` at one instant", async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, async (policy) => {
        const limiter = memoryLimiter({ clock: () => 1_000_000 });
        let allowed = 0;
        for (let i = 0; i < policy.limit + 5; i++)
          if ((await limiter.consume("k", policy)).allowed) allowed++;
        expect(allowed).toBe(policy.limit);
      }),
    );
  });
});
