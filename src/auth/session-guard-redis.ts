/**
 * SessionGuard on Redis, shared by every process. `touch` is one Lua call (one
 * round trip): it refuses a revoked session and swaps in the new activity time
 * atomically, and with a user id also reads the user's announced version.
 * Keys: `<prefix>rev:<sid>`, `<prefix>seen:<sid>`, `<prefix>n:<key>`, `<prefix>uv:<userId>`.
 */
import { Redis } from "ioredis";
import { redisConnected } from "../security/ratelimit/redis.ts";
import { type SessionActivity, type SessionGuard, USER_VERSION_TTL_SECONDS } from "./session-guard.ts";

// KEYS: the revocation marker, the activity key and, when a user is named, that user's announced version.
// Returns { previous activity (0: none) or -1 when revoked, the version or false }.
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {-1, false} end
local prev = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local version = false
if #KEYS == 3 then version = redis.call('GET', KEYS[3]) end
return {tonumber(prev or '0'), version}`;

// Raises, never lowers: announcements from several processes may arrive out of order.
const ANNOUNCE = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > v then v = tonumber(ARGV[1]) end
redis.call('SET', KEYS[1], v, 'EX', ARGV[2])
return v`;

const HIT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`;

interface GuardCommands {
  /** Keys as TOUCH takes them, their count first (two, or three with a user). */
  vigilTouch(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<[number, string | null]>;
  vigilAnnounce(key: string, version: number, ttlSeconds: number): Promise<number>;
  vigilHit(key: string, windowMs: number): Promise<number>;
}

export interface RedisGuardOptions {
  url: string;
  /** Key prefix (tests isolate themselves with it). */
  prefix?: string;
  /** ioredis' own per-command limit (ms), a backstop behind the resilient wrapper's shorter one. */
  commandTimeoutMs?: number;
}

export interface RedisSessionGuard extends SessionGuard {
  /** Waits up to `timeoutMs` for the connection; true when connected. */
  connected(timeoutMs: number): Promise<boolean>;
}

export function redisSessionGuard(opts: RedisGuardOptions): RedisSessionGuard {
  const redis = new Redis(opts.url, {
    // Fail fast, never wait: while the connection is down a command is refused at
    // once (no offline queue, no retry after a reconnect), and a frozen server
    // cannot hold one for longer than the command timeout. Callers fall back to
    // the sessions row; see session-guard-resilient.ts.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 1000,
    // Reconnect in the background, quickly: requests do not wait for it.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    lazyConnect: false,
    // Every authenticated request sends one touch: the touches (and anything else) issued in one
    // event-loop turn go out as one write and come back as one read, not a syscall pair each.
    enableAutoPipelining: true,
  });
  // Errors surface on the calls; without a listener ioredis would log them as unhandled.
  redis.on("error", () => {});
  // No fixed key count: a touch names the user's version key only when it has a user.
  redis.defineCommand("vigilTouch", { lua: TOUCH });
  redis.defineCommand("vigilAnnounce", { numberOfKeys: 1, lua: ANNOUNCE });
  redis.defineCommand("vigilHit", { numberOfKeys: 1, lua: HIT });
  const cmd = redis as unknown as Redis & GuardCommands;
  const p = opts.prefix ?? "vigil:sg:";
  const rev = (sid: string) => `${p}rev:${sid}`;
  const seen = (sid: string) => `${p}seen:${sid}`;
  const counter = (key: string) => `${p}n:${key}`;
  const userVersion = (userId: string) => `${p}uv:${userId}`;
  // Only the very first commands wait (at most a second) for the first connection,
  // so a guard used right after creation works; later outages fail fast.
  let booted = false;
  const boot = redisConnected(redis, 1000).then(() => {
    booted = true;
  });
  const up = () => (booted ? undefined : boot);

  return {
    kind: "redis",
    connected: (timeoutMs) => redisConnected(redis, timeoutMs),
    async revoke(sid, ttlSeconds) {
      await up();
      await redis.multi().set(rev(sid), "1", "EX", Math.max(1, ttlSeconds)).del(seen(sid)).exec();
    },
    async isRevoked(sid) {
      await up();
      return (await redis.exists(rev(sid))) === 1;
    },
    async touch(sid, at, idleSeconds, userId) {
      await up();
      const keys = [rev(sid), seen(sid)];
      if (userId !== undefined) keys.push(userVersion(userId));
      const [prev, version] = await cmd.vigilTouch(keys.length, ...keys, at.getTime(), idleSeconds * 1000);
      if (prev === -1) return { revoked: true, lastSeen: null };
      const activity: SessionActivity = { revoked: false, lastSeen: prev > 0 ? new Date(prev) : null };
      if (userId !== undefined) activity.userVersion = version === null ? null : Number(version);
      return activity;
    },
    async announceUserVersion(userId, version) {
      await up();
      await cmd.vigilAnnounce(userVersion(userId), version, USER_VERSION_TTL_SECONDS);
    },
    async lastSeen(sids) {
      await up();
      const out = new Map<string, Date>();
      if (sids.length === 0) return out;
      const values = await redis.mget(sids.map(seen));
      sids.forEach((sid, i) => {
        const v = values[i];
        if (v) out.set(sid, new Date(Number(v)));
      });
      return out;
    },
    async hit(key, windowSeconds) {
      await up();
      return cmd.vigilHit(counter(key), windowSeconds * 1000);
    },
    async hits(key) {
      await up();
      const [[, count], [, pttl]] = (await redis.multi().get(counter(key)).pttl(counter(key)).exec()) as [
        [unknown, string | null],
        [unknown, number],
      ];
      if (!count) return { count: 0, resetSeconds: 0 };
      return { count: Number(count), resetSeconds: pttl > 0 ? Math.ceil(pttl / 1000) : 0 };
    },
    async forget(key) {
      await up();
      await redis.del(counter(key));
    },
    async ping() {
      await up();
      await redis.ping();
    },
    async close() {
      // QUIT would wait for a frozen server; nothing is pending that needs a graceful goodbye.
      redis.disconnect();
    },
  };
}
