/**
 * Redis first, memory when Redis fails: a request is never refused or failed
 * because the limiter's store is down. After a failure (error or timeout) the
 * primary is skipped for `retryMs`, then one request probes it again, so a dead
 * Redis costs one timeout per `retryMs`, not one per request. The switch is
 * logged once each way; /ready reports `degraded` (still ready) meanwhile.
 */
import type { Logger } from "pino";
import { withTimeout } from "../../system/fail-fast.ts";
import {
  consumeMany,
  consumeUpTo,
  type Decision,
  type Grant,
  type LimitItem,
  type RateLimiter,
  type RatePolicy,
} from "./types.ts";

export interface ResilientOptions {
  /** Longest wait for the primary per call (ms). */
  timeoutMs?: number;
  /** How long to stay on the fallback before probing the primary again (ms). */
  retryMs?: number;
  /** Milliseconds; defaults to Date.now. */
  clock?: () => number;
}

export interface ResilientLimiter extends RateLimiter {
  /** True while decisions come from the fallback. */
  readonly degraded: boolean;
  /** Calls answered by the fallback so far (metrics, benchmarks). */
  readonly fallbacks: number;
  /** For /ready: `degraded` when the primary does not answer; never throws. */
  readiness(): Promise<"degraded" | undefined>;
}

export function resilientLimiter(
  primary: RateLimiter,
  fallback: RateLimiter,
  logger: Pick<Logger, "warn" | "info">,
  opts: ResilientOptions = {},
): ResilientLimiter {
  const timeoutMs = opts.timeoutMs ?? 100;
  const retryMs = opts.retryMs ?? 5000;
  const clock = opts.clock ?? Date.now;
  let degraded = false;
  let retryAt = 0;
  let fallbacks = 0;
  const onFallback = (items: readonly LimitItem[], cost?: number) => {
    fallbacks++;
    return consumeMany(fallback, items, cost);
  };

  const fail = (err: unknown) => {
    retryAt = clock() + retryMs;
    if (degraded) return;
    degraded = true;
    logger.warn(
      { error: (err as Error)?.message, retryMs },
      "rate limiter store unavailable: limiting in memory (per process) until it answers",
    );
  };
  const recover = () => {
    if (!degraded) return;
    degraded = false;
    logger.info({}, "rate limiter store answers again: limits shared across servers");
  };

  async function many(items: readonly LimitItem[], cost?: number): Promise<Decision[]> {
    if (degraded) {
      if (clock() < retryAt) return onFallback(items, cost);
      retryAt = clock() + retryMs; // one probe per period; the rest stay on the fallback
    }
    let decisions: Decision[];
    try {
      decisions = await withTimeout(consumeMany(primary, items, cost), timeoutMs);
    } catch (err) {
      if (err instanceof RangeError) throw err; // a bad policy or cost: a bug, not an outage
      fail(err);
      return onFallback(items, cost);
    }
    recover();
    return decisions;
  }

  /** One unit at a time from the fallback (it is local: nothing to save by leasing from it). */
  async function upTo(items: readonly LimitItem[], want: number): Promise<Grant> {
    if (degraded && clock() < retryAt) {
      fallbacks++;
      return consumeUpTo(fallback, items, 1);
    }
    if (degraded) retryAt = clock() + retryMs;
    let grant: Grant;
    try {
      grant = await withTimeout(consumeUpTo(primary, items, want), timeoutMs);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      fail(err);
      fallbacks++;
      return consumeUpTo(fallback, items, 1);
    }
    recover();
    return grant;
  }

  return {
    get degraded() {
      return degraded;
    },
    get fallbacks() {
      return fallbacks;
    },
    consume: async (key: string, policy: RatePolicy, cost?: number): Promise<Decision> =>
      (await many([{ key, policy }], cost))[0]!,
    consumeMany: many,
    consumeUpTo: upTo,
    async ping() {
      await primary.ping?.();
    },
    async readiness() {
      try {
        await withTimeout(primary.ping?.() ?? Promise.resolve(), Math.max(timeoutMs, 500));
        if (!degraded) return undefined;
        retryAt = 0; // it answers again: let the next request probe it now
        return "degraded";
      } catch (err) {
        fail(err);
        return "degraded";
      }
    },
    async close() {
      await Promise.allSettled([primary.close?.(), fallback.close?.()]);
    },
  };
}
