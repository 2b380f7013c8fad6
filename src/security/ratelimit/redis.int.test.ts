/** The Lua limiter on real Redis: atomicity, windows on Redis' clock, agreement with memory. */
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_REDIS_URL } from "../../../test/helpers/db.ts";
import { memoryLimiter } from "./memory.ts";
import { type RedisLimiter, redisLimiter } from "./redis.ts";
import type { Decision } from "./types.ts";

describe.runIf(TEST_REDIS_URL)("redisLimiter (set TEST_REDIS_URL to run)", () => {
  const prefix = `vigil-test-${crypto.randomUUID()}`;
  let limiter: RedisLimiter;
  let admin: Redis;
  beforeAll(async () => {
    limiter = redisLimiter({ redis: TEST_REDIS_URL!, prefix });
    admin = new Redis(TEST_REDIS_URL!);
    expect(await limiter.connected(5000)).toBe(true);
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length) await admin.del(...keys);
    await limiter.close!();
    admin.disconnect();
  });

  it("50 concurrent consumes against a limit of 10: exactly 10 allowed", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => limiter.consume("burst", { limit: 10, windowMs: 60_000 })),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 0 && r.remaining === 0)).toBe(
      true,
    );
    // Several clients (connections) at once: still one budget.
    const others = Array.from({ length: 5 }, () => redisLimiter({ redis: TEST_REDIS_URL!, prefix }));
    try {
      await Promise.all(others.map((l) => l.connected(5000)));
      const more = await Promise.all(
        others.flatMap((l) =>
          Array.from({ length: 10 }, () => l.consume("burst2", { limit: 10, windowMs: 60_000 })),
        ),
      );
      expect(more.filter((r) => r.allowed)).toHaveLength(10);
    } finally {
      await Promise.all(others.map((l) => l.close!()));
    }
  });

  it("gives the budget back after the window (Redis' clock)", async () => {
    const policy = { limit: 3, windowMs: 300 };
    const first = await Promise.all([1, 2, 3, 4].map(() => limiter.consume("window", policy)));
    expect(first.map((d) => d.allowed)).toEqual(expect.arrayContaining([true, true, true, false]));
    const refused = first.find((d) => !d.allowed)!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
    // Poll until a full budget is back: at most a window (plus scheduling slack).
    const started = Date.now();
    let d = await limiter.consume("window", policy, 0);
    while (d.remaining < 3 && Date.now() - started < 2000) {
      await new Promise((r) => setTimeout(r, 20));
      d = await limiter.consume("window", policy, 0);
    }
    expect(d.remaining).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    const again = await Promise.all([1, 2, 3, 4].map(() => limiter.consume("window", policy)));
    expect(again.filter((x) => x.allowed)).toHaveLength(3);
  });

  it("keeps one short-lived key per subject under the prefix; flags the first refusal once per window", async () => {
    const policy = { limit: 1, windowMs: 400 };
    await limiter.consume("notice", policy);
    const refusals = await Promise.all(Array.from({ length: 20 }, () => limiter.consume("notice", policy)));
    expect(refusals.filter((r) => r.firstRefusal)).toHaveLength(1);
    const ttl = await admin.pttl(`${prefix}:rl:notice`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(400);
    expect(await admin.pttl(`${prefix}:rl:notice:n`)).toBeLessThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 450));
    await limiter.consume("notice", policy);
    expect((await limiter.consume("notice", policy)).firstRefusal).toBe(true);
  });

  it("agrees with the in-memory limiter decision for decision on the same clock (one or two policies)", async () => {
    let round = 0;
    const policyArb = fc.record({
      limit: fc.integer({ min: 1, max: 40 }),
      windowMs: fc.integer({ min: 1, max: 120_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(policyArb, { minLength: 1, maxLength: 2 }),
        fc.array(
          fc.record({
            dtMs: fc.integer({ min: 0, max: 4000 }),
            cost: fc.integer({ min: 0, max: 3 }),
            key: fc.constantFrom("a", "b"),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (policies, steps) => {
          let now = 1_767_225_600_000.5 + round * 10_000_000;
          const clock = () => now;
          const mem = memoryLimiter({ clock });
          const red = redisLimiter({ redis: limiter.redis, prefix: `${prefix}:agree${round++}`, clock });
          const smallest = Math.min(...policies.map((p) => p.limit));
          for (const s of steps) {
            now += s.dtMs;
            const cost = Math.min(s.cost, smallest);
            const items = policies.map((policy, i) => ({ key: `${s.key}${i}`, policy }));
            const [m, r] = await Promise.all([mem.consumeMany!(items, cost), red.consumeMany!(items, cost)]);
            // firstRefusal aside: Redis expires notices on its own clock, not the test's.
            const strip = (ds: Decision[]) => ds.map((d) => ({ ...d, firstRefusal: undefined }));
            expect(strip(r)).toEqual(strip(m));
            expect(r.map((d) => d.firstRefusal !== undefined)).toEqual(
              m.map((d) => d.firstRefusal !== undefined),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
  it("consumeUpTo takes what every policy allows, at most the ask, and refuses like one unit when none is left", async () => {
    const id = crypto.randomUUID();
    const items = [
      { key: `upto-m:${id}`, policy: { limit: 10, windowMs: 60_000 } },
      { key: `upto-h:${id}`, policy: { limit: 25, windowMs: 600_000 } },
    ];
    const first = await limiter.consumeUpTo!(items, 4);
    expect(first.granted).toBe(4);
    expect(first.decisions.map((d) => d.remaining)).toEqual([6, 21]);
    const rest = await limiter.consumeUpTo!(items, 100);
    expect(rest.granted).toBe(6);
    expect(rest.decisions.map((d) => d.allowed)).toEqual([true, true]);
    const none = await limiter.consumeUpTo!(items, 3);
    expect(none.granted).toBe(0);
    expect(none.decisions[0]).toMatchObject({ allowed: false, firstRefusal: true });
    expect(none.decisions[0]!.retryAfterMs).toBeGreaterThan(0);
    expect((await limiter.consumeUpTo!(items, 1)).decisions[0]!.firstRefusal).toBe(false);
    // Several groups in one script call keep their own answers.
    const [a, b] = await Promise.all([
      limiter.consumeUpTo!([{ key: `upto-a:${id}`, policy: { limit: 5, windowMs: 60_000 } }], 9),
      limiter.consume(`upto-b:${id}`, { limit: 5, windowMs: 60_000 }, 2),
    ]);
    expect(a.granted).toBe(5);
    expect(b).toMatchObject({ allowed: true, remaining: 3 });
  });
});
