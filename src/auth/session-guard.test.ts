/** The SessionGuard contract, in memory and (when TEST_REDIS_URL is set) on real Redis. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { memorySessionGuard, type SessionGuard } from "./session-guard.ts";
import { redisSessionGuard } from "./session-guard-redis.ts";

const T0 = new Date("2026-03-01T10:00:00.000Z");
const sid = () => crypto.randomUUID();

function contract(name: string, make: () => SessionGuard) {
  describe(`SessionGuard (${name})`, () => {
    let g: SessionGuard;
    beforeEach(() => {
      g = make();
    });
    afterEach(() => g.close());

    it("knows nothing of a new session, then remembers its last activity", async () => {
      const s = sid();
      expect(await g.touch(s, T0, 60)).toEqual({ revoked: false, lastSeen: null });
      const later = new Date(T0.getTime() + 5000);
      expect(await g.touch(s, later, 60)).toEqual({ revoked: false, lastSeen: T0 });
      expect((await g.lastSeen([s, sid()])).get(s)).toEqual(later);
      expect((await g.lastSeen([])).size).toBe(0);
    });

    it("refuses a revoked session and forgets its activity", async () => {
      const s = sid();
      await g.touch(s, T0, 60);
      await g.revoke(s, 60);
      expect(await g.isRevoked(s)).toBe(true);
      expect(await g.touch(s, T0, 60)).toEqual({ revoked: true, lastSeen: null });
      expect((await g.lastSeen([s])).size).toBe(0);
      expect(await g.isRevoked(sid())).toBe(false);
    });

    it("counts attempts per key and forgets them", async () => {
      const key = `k-${sid()}`;
      expect(await g.hits(key)).toEqual({ count: 0, resetSeconds: 0 });
      expect(await g.hit(key, 1800)).toBe(1);
      expect(await g.hit(key, 1800)).toBe(2);
      const h = await g.hits(key);
      expect(h.count).toBe(2);
      expect(h.resetSeconds).toBeGreaterThan(1790);
      expect(h.resetSeconds).toBeLessThanOrEqual(1800);
      await g.forget(key);
      expect((await g.hits(key)).count).toBe(0);
      await g.ping();
    });
  });
}

contract("memory", () => memorySessionGuard({ now: () => T0 }));

describe("memory guard expiry", () => {
  it("lets revocations, activity and counters lapse after their TTL", async () => {
    let t = T0.getTime();
    const g = memorySessionGuard({ now: () => new Date(t) });
    const s = sid();
    await g.revoke(s, 60);
    await g.touch("other", new Date(t), 30);
    await g.hit("k", 10);
    t += 61_000;
    expect(await g.isRevoked(s)).toBe(false);
    expect(await g.touch("other", new Date(t), 30)).toEqual({ revoked: false, lastSeen: null });
    expect((await g.hits("k")).count).toBe(0);
  });
});

describe.runIf(TEST_REDIS_URL)("on real Redis", () => {
  contract("redis", () => redisSessionGuard({ url: TEST_REDIS_URL!, prefix: `test:${sid()}:` }));

  it("is shared: a revocation by one process is seen by another at once", async () => {
    const prefix = `test:${sid()}:`;
    const a = redisSessionGuard({ url: TEST_REDIS_URL!, prefix });
    const b = redisSessionGuard({ url: TEST_REDIS_URL!, prefix });
    try {
      const s = sid();
      await b.touch(s, T0, 60);
      await a.revoke(s, 60);
      expect(await b.touch(s, T0, 60)).toEqual({ revoked: true, lastSeen: null });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
