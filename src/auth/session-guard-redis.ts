/**
 * SessionGuard on Redis, shared by every process. `touch` is one Lua call (one
 * round trip): it refuses a revoked session and swaps in the new activity time
 * atomically. Keys: `<prefix>rev:<sid>`, `<prefix>seen:<sid>`, `<prefix>n:<key>`.
 */
import { Redis } from "ioredis";
import type { SessionGuard } from "./session-guard.ts";

const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local prev = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if prev then return tonumber(prev) end
return 0`;

const HIT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`;

interface GuardCommands {
  vigilTouch(rev: string, seen: string, now: number, idleMs: number): Promise<number>;
  vigilHit(key: string, windowMs: number): Promise<number>;
}

export interface RedisGuardOptions {
  url: string;
  /** Key prefix (tests isolate themselves with it). */
  prefix?: string;
}

export function redisSessionGuard(opts: RedisGuardOptions): SessionGuard {
  const redis = new Redis(opts.url, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Errors surface on the calls; without a listener ioredis would log them as unhandled.
  redis.on("error", () => {});
  redis.defineCommand("vigilTouch", { numberOfKeys: 2, lua: TOUCH });
  redis.defineCommand("vigilHit", { numberOfKeys: 1, lua: HIT });
  const cmd = redis as unknown as Redis & GuardCommands;
  const p = opts.prefix ?? "vigil:sg:";
  const rev = (sid: string) => `${p}rev:${sid}`;
  const seen = (sid: string) => `${p}seen:${sid}`;
  const counter = (key: string) => `${p}n:${key}`;

  return {
    kind: "redis",
    async revoke(sid, ttlSeconds) {
      await redis.multi().set(rev(sid), "1", "EX", Math.max(1, ttlSeconds)).del(seen(sid)).exec();
    },
    async isRevoked(sid) {
      return (await redis.exists(rev(sid))) === 1;
    },
    async touch(sid, at, idleSeconds) {
      const prev = await cmd.vigilTouch(rev(sid), seen(sid), at.getTime(), idleSeconds * 1000);
      if (prev === -1) return { revoked: true, lastSeen: null };
      return { revoked: false, lastSeen: prev > 0 ? new Date(prev) : null };
    },
    async lastSeen(sids) {
      const out = new Map<string, Date>();
      if (sids.length === 0) return out;
      const values = await redis.mget(sids.map(seen));
      sids.forEach((sid, i) => {
        const v = values[i];
        if (v) out.set(sid, new Date(Number(v)));
      });
      return out;
    },
    hit: (key, windowSeconds) => cmd.vigilHit(counter(key), windowSeconds * 1000),
    async hits(key) {
      const [[, count], [, pttl]] = (await redis.multi().get(counter(key)).pttl(counter(key)).exec()) as [
        [unknown, string | null],
        [unknown, number],
      ];
      if (!count) return { count: 0, resetSeconds: 0 };
      return { count: Number(count), resetSeconds: pttl > 0 ? Math.ceil(pttl / 1000) : 0 };
    },
    async forget(key) {
      await redis.del(counter(key));
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
