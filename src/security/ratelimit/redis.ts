/**
 * The Redis limiter, shared by every app server. Check-and-consume is one Lua
 * script (atomic, one round trip, sent as EVALSHA by ioredis' defineCommand),
 * running the GCRA of gcra.ts on Redis' own clock (`TIME`), so servers with
 * skewed clocks still agree. State is one key per (policy, subject) holding the
 * TAT in µs, expiring when the budget is full again; the first refusal in a
 * window also sets a notice key (SET NX PX) so evidence is recorded once.
 *
 * Keys: `<prefix>:rl:<key>` and `<prefix>:rl:<key>:n`. One script call serves
 * every request that arrived in the same event-loop turn, so it touches keys of
 * several subjects: fine on a single Redis (or a primary with replicas), not on
 * Redis Cluster.
 */
import { setImmediate } from "node:timers";
import { Redis, type RedisOptions } from "ioredis";
import {
  checkConsume,
  type Decision,
  type Grant,
  type LimitItem,
  type RateLimiter,
  type RatePolicy,
} from "./types.ts";

// Mirrors gcra.ts line for line. One call carries a batch of requests (groups);
// within a group, after the first refusal the remaining policies are only looked
// at (cost 0). ARGV: now override ('' = TIME), then per group: cost, n, and n
// pairs (limit, window); KEYS: per policy, its state and notice keys. A negative
// cost -w asks for up to w units: as many as every policy of the group allows
// (at least 1, so none allowed is an ordinary refusal of one unit). Out, per
// group: the cost applied, then five numbers per policy.
// Numbers are formatted with %.0f: Lua's tostring keeps only 14 digits, and a
// TAT in µs has 16.
const CONSUME = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local out = {}
local a = 2
local k = 1
while a <= #ARGV do
  local cost = tonumber(ARGV[a])
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  if cost < 0 then
    cost = -cost
    for j = 0, n - 1 do
      local limit = tonumber(ARGV[a + 2 * j])
      local interval = math.ceil(tonumber(ARGV[a + 2 * j + 1]) * 1000 / limit)
      local tat = tonumber(redis.call('GET', KEYS[k + 2 * j]) or '0')
      if tat < now then tat = now end
      local avail = math.floor((now + limit * interval - tat) / interval)
      if avail < cost then cost = avail end
    end
    if cost < 1 then cost = 1 end
  end
  out[#out + 1] = cost
  for _ = 1, n do
    local limit = tonumber(ARGV[a])
    local window = tonumber(ARGV[a + 1])
    local state = KEYS[k]
    local notice = KEYS[k + 1]
    a = a + 2
    k = k + 2
    local interval = math.ceil(window * 1000 / limit)
    local capacity = limit * interval
    local tat = tonumber(redis.call('GET', state) or '0')
    if tat < now then tat = now end
    if cost == 0 then
      local remaining = math.floor((now + capacity - tat) / interval)
      local retry = 0
      if remaining < 1 then retry = math.ceil((tat + interval - capacity - now) / 1000) end
      out[#out + 1] = remaining >= 1 and 1 or 0
      out[#out + 1] = remaining
      out[#out + 1] = math.ceil((tat - now) / 1000)
      out[#out + 1] = retry
      out[#out + 1] = 0
    else
      local newTat = tat + cost * interval
      if newTat - now <= capacity then
        local reset = math.ceil((newTat - now) / 1000)
        redis.call('SET', state, string.format('%.0f', newTat), 'PX', reset)
        out[#out + 1] = 1
        out[#out + 1] = math.floor((now + capacity - newTat) / interval)
        out[#out + 1] = reset
        out[#out + 1] = 0
        out[#out + 1] = 0
      else
        local first = 0
        if redis.call('SET', notice, '1', 'NX', 'PX', window) then first = 1 end
        out[#out + 1] = 0
        out[#out + 1] = math.floor((now + capacity - tat) / interval)
        out[#out + 1] = math.ceil((tat - now) / 1000)
        out[#out + 1] = math.ceil((newTat - capacity - now) / 1000)
        out[#out + 1] = first
        cost = 0
      end
    end
  end
end
return out
`;

/** Requests waiting for the next batch: at most this many per script call. */
const MAX_BATCH = 64;

interface LimiterCommands {
  vigilRateConsume(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
}

interface Pending {
  items: readonly LimitItem[];
  /** Negative: up to that many units (consumeUpTo). */
  cost: number;
  resolve(g: Grant): void;
  reject(err: unknown): void;
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

/** Waits up to `timeoutMs` for an ioredis client to be ready; true when it is. */
export function redisConnected(redis: Redis, timeoutMs: number): Promise<boolean> {
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
          // Concurrent requests' scripts share one write to the socket.
          enableAutoPipelining: true,
          ...opts.redisOptions,
        })
      : opts.redis;
  // Errors surface on the calls; without a listener ioredis reports them as unhandled.
  if (owned) redis.on("error", () => {});
  // No fixed key count: one call carries every policy of a batch of requests.
  redis.defineCommand("vigilRateConsume", { lua: CONSUME });
  const cmd = redis as Redis & LimiterCommands;
  const base = `${opts.prefix}:rl:`;
  const clock = opts.clock;

  // Requests arriving in the same turn of the event loop share one script call:
  // under load that removes most of the per-command cost, on both ends.
  let queue: Pending[] = [];

  /** One group's answer: the cost the script applied, then its decisions. */
  function decode(p: Pending, flat: number[], offset: number): Grant {
    let refused = false;
    const cost = flat[offset]!;
    const decisions = p.items.map(({ policy }, i) => {
      const at = offset + 1 + i * 5;
      const decision: Decision = {
        allowed: flat[at] === 1,
        remaining: flat[at + 1]!,
        resetMs: flat[at + 2]!,
        retryAfterMs: flat[at + 3]!,
        limit: policy.limit,
      };
      // Only the refusal that tried to consume says whether it was the window's first; the rest were looks.
      if (!decision.allowed && p.cost !== 0 && !refused) {
        decision.firstRefusal = flat[at + 4] === 1;
        refused = true;
      }
      return decision;
    });
    return { granted: refused || p.cost === 0 ? 0 : cost, decisions };
  }

  async function send(batch: Pending[]): Promise<void> {
    const keys: string[] = [];
    const args: (string | number)[] = [clock ? String(Math.floor(clock() * 1000)) : ""];
    for (const p of batch) {
      args.push(p.cost, p.items.length);
      for (const { key, policy } of p.items) {
        keys.push(base + key, `${base}${key}:n`);
        args.push(policy.limit, policy.windowMs);
      }
    }
    let flat: number[];
    try {
      flat = await cmd.vigilRateConsume(keys.length, ...keys, ...args);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let offset = 0;
    for (const p of batch) {
      p.resolve(decode(p, flat, offset));
      offset += 1 + p.items.length * 5;
    }
  }

  function flush(): void {
    const all = queue;
    queue = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) void send(all.slice(i, i + MAX_BATCH));
  }

  function enqueue(items: readonly LimitItem[], cost: number): Promise<Grant> {
    return new Promise<Grant>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ items, cost, resolve, reject });
    });
  }

  async function consumeMany(items: readonly LimitItem[], cost = 1): Promise<Decision[]> {
    for (const { policy } of items) checkConsume(policy, cost);
    if (items.length === 0) return [];
    return (await enqueue(items, cost)).decisions;
  }

  function consumeUpTo(items: readonly LimitItem[], want: number): Promise<Grant> {
    if (!Number.isInteger(want) || want < 1)
      throw new RangeError(`want must be a positive integer, got ${want}`);
    for (const { policy } of items) checkConsume(policy, 1);
    if (items.length === 0) return Promise.resolve({ granted: want, decisions: [] });
    return enqueue(items, -want);
  }

  return {
    redis,
    connected: (timeoutMs) => redisConnected(redis, timeoutMs),
    async consume(key: string, policy: RatePolicy, cost = 1): Promise<Decision> {
      return (await consumeMany([{ key, policy }], cost))[0]!;
    },
    consumeMany,
    consumeUpTo,
    async ping() {
      await redis.ping();
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}
