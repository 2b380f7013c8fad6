/**
 * The Redis limiter, shared by every app server. Check-and-consume is one Lua
 * script (atomic, one round trip, sent as EVALSHA by ioredis' defineCommand),
 * running the GCRA of gcra.ts on Redis' own clock (`TIME`), so servers with
 * skewed clocks still agree. State is one key per (policy, subject) holding the
 * TAT in µs, expiring when the budget is full again; the first refusal in a
 * window also sets a notice key (SET NX PX) so evidence is recorded once.
 *
 * Keys: `<prefix>:rl:<key>` and `<prefix>:rl:<key>:n`.
 */
import { Redis, type RedisOptions } from "ioredis";
import { checkConsume, type Decision, type RateLimiter, type RatePolicy } from "./types.ts";

// Mirrors gcra.ts line for line. Numbers are formatted with %.0f: Lua's
// tostring keeps only 14 digits, and a TAT in µs has 16.
const CONSUME = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = math.ceil(window * 1000 / limit)
local capacity = limit * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if cost == 0 then
  local remaining = math.floor((now + capacity - tat) / interval)
  local retry = 0
  if remaining < 1 then retry = math.ceil((tat + interval - capacity - now) / 1000) end
  return {remaining >= 1 and 1 or 0, remaining, math.ceil((tat - now) / 1000), retry, 0}
end
local newTat = tat + cost * interval
if newTat - now <= capacity then
  local reset = math.ceil((newTat - now) / 1000)
  redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', reset)
  return {1, math.floor((now + capacity - newTat) / interval), reset, 0, 0}
end
local first = 0
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', window) then first = 1 end
return {0, math.floor((now + capacity - tat) / interval), math.ceil((tat - now) / 1000),
  math.ceil((newTat - capacity - now) / 1000), first}
`;

type Reply = [number, number, number, number, number];

interface LimiterCommands {
  vigilRateConsume(
    state: string,
    notice: string,
    limit: number,
    windowMs: number,
    cost: number,
    nowUs: string,
  ): Promise<Reply>;
}

export interface RedisLimiterOptions {
  /** A URL (the limiter opens and owns its connection) or a client to share. */
  redis: string | Redis;
  /** Key prefix, e.g. config.redisPrefix. */
  prefix: string;
  /** ioredis' per-command timeout (ms) for an owned connection. */
  commandTimeoutMs?: number;
  /** Extra ioredis options for an owned connection (tests). */
  redisOptions?: RedisOptions;
  /**
   * TESTS ONLY: drive the script with this clock (ms) instead of Redis' TIME,
   * so its decisions can be compared with the in-memory limiter's.
   */
  clock?: () => number;
}

export interface RedisLimiter extends RateLimiter {
  readonly redis: Redis;
  /**
   * Waits up to `timeoutMs` for the connection (commands fail fast, not queue,
   * while it is down); true when connected.
   */
  connected(timeoutMs: number): Promise<boolean>;
}

export function redisLimiter(opts: RedisLimiterOptions): RedisLimiter {
  const owned = typeof opts.redis === "string";
  const redis =
    typeof opts.redis === "string"
      ? new Redis(opts.redis, {
          // Fail fast while disconnected: the resilient wrapper falls back at once
          // instead of queueing requests behind a dead connection.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: opts.commandTimeoutMs ?? 1000,
          ...opts.redisOptions,
        })
      : opts.redis;
  // Errors surface on the calls; without a listener ioredis reports them as unhandled.
  if (owned) redis.on("error", () => {});
  redis.defineCommand("vigilRateConsume", { numberOfKeys: 2, lua: CONSUME });
  const cmd = redis as Redis & LimiterCommands;
  const base = `${opts.prefix}:rl:`;
  const clock = opts.clock;

  return {
    redis,
    connected(timeoutMs) {
      return new Promise<boolean>((resolve) => {
        if (redis.status === "ready") return resolve(true);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          redis.off("ready", onReady);
          resolve(redis.status === "ready");
        }, timeoutMs);
        redis.once("ready", onReady);
      });
    },
    async consume(key: string, policy: RatePolicy, cost = 1): Promise<Decision> {
      checkConsume(policy, cost);
      const state = base + key;
      const nowUs = clock ? String(Math.floor(clock() * 1000)) : "";
      const [allowed, remaining, resetMs, retryAfterMs, first] = await cmd.vigilRateConsume(
        state,
        `${state}:n`,
        policy.limit,
        policy.windowMs,
        cost,
        nowUs,
      );
      const decision: Decision = {
        allowed: allowed === 1,
        remaining,
        resetMs,
        retryAfterMs,
        limit: policy.limit,
      };
      if (allowed !== 1 && cost > 0) decision.firstRefusal = first === 1;
      return decision;
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}
