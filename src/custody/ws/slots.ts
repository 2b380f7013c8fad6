/**
 * Connection slots: at most `max` custody sockets per user across every
 * instance. A slot is a lease (renewed at each heartbeat), so the slots of an
 * instance that crashed free themselves within one lease instead of locking
 * the guardian out.
 *
 * - Redis: one sorted set per user (`<prefix>:ws:slots:<userId>`, member the
 *   connection id, score the lease's end), acquired by one Lua script on
 *   Redis' own clock, so instances with skewed clocks agree.
 * - Memory: the same rules in one process (embedded default).
 *
 * If Redis fails, the call falls back to this process's own slots (logged):
 * refusing every guardian because Redis is away would be worse than a limit
 * that holds per instance for a while.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";

export interface SlotDecision {
  ok: boolean;
  /** Connections the user holds (including this one when ok). */
  open: number;
}

export interface ConnectionSlots {
  acquire(userId: string, connectionId: string): Promise<SlotDecision>;
  renew(userId: string, connectionId: string): Promise<void>;
  release(userId: string, connectionId: string): Promise<void>;
  close(): Promise<void>;
}

export interface SlotOptions {
  max: number;
  leaseMs: number;
  now?: () => number;
}

export function memorySlots(opts: SlotOptions): ConnectionSlots {
  const now = opts.now ?? Date.now;
  const byUser = new Map<string, Map<string, number>>();
  const live = (userId: string) => {
    const m = byUser.get(userId) ?? new Map<string, number>();
    const t = now();
    for (const [id, until] of m) if (until <= t) m.delete(id);
    if (m.size === 0) byUser.delete(userId);
    return m;
  };
  return {
    async acquire(userId, id) {
      const m = live(userId);
      if (!m.has(id) && m.size >= opts.max) return { ok: false, open: m.size };
      m.set(id, now() + opts.leaseMs);
      byUser.set(userId, m);
      return { ok: true, open: m.size };
    },
    async renew(userId, id) {
      const m = live(userId);
      if (m.has(id)) m.set(id, now() + opts.leaseMs);
    },
    async release(userId, id) {
      const m = live(userId);
      m.delete(id);
      if (m.size === 0) byUser.delete(userId);
    },
    async close() {},
  };
}

// KEYS[1] the user's set; ARGV: connection id, max, lease ms. Returns {ok, open}.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not mine and open >= tonumber(ARGV[2]) then return {0, open} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, redis.call('ZCARD', KEYS[1])}`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

interface SlotCommands {
  vigilSlotAcquire(key: string, id: string, max: number, leaseMs: number): Promise<[number, number]>;
  vigilSlotRenew(key: string, id: string, leaseMs: number): Promise<number>;
}

export function redisSlots(
  opts: SlotOptions & { url: string; prefix: string; logger: Pick<Logger, "warn"> },
): ConnectionSlots {
  const redis = new Redis(opts.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
  redis.on("error", () => {});
  redis.defineCommand("vigilSlotAcquire", { numberOfKeys: 1, lua: ACQUIRE });
  redis.defineCommand("vigilSlotRenew", { numberOfKeys: 1, lua: RENEW });
  const cmd = redis as unknown as Redis & SlotCommands;
  const key = (userId: string) => `${opts.prefix}:ws:slots:${userId}`;
  const local = memorySlots(opts);
  const fallback = <T>(what: string, run: () => Promise<T>) => {
    return async (err: unknown): Promise<T> => {
      opts.logger.warn(
        { error: (err as Error).message },
        `connection slots: Redis failed on ${what}; this instance only`,
      );
      return run();
    };
  };
  return {
    async acquire(userId, id) {
      await local.acquire(userId, id);
      try {
        const [ok, open] = await cmd.vigilSlotAcquire(key(userId), id, opts.max, opts.leaseMs);
        if (ok !== 1) await local.release(userId, id);
        return { ok: ok === 1, open };
      } catch (err) {
        await local.release(userId, id);
        return fallback("acquire", () => local.acquire(userId, id))(err);
      }
    },
    async renew(userId, id) {
      await local.renew(userId, id);
      await cmd.vigilSlotRenew(key(userId), id, opts.leaseMs).catch(fallback("renew", async () => 0));
    },
    async release(userId, id) {
      await local.release(userId, id);
      await redis.zrem(key(userId), id).catch(fallback("release", async () => 0));
    },
    async close() {
      redis.disconnect();
    },
  };
}
