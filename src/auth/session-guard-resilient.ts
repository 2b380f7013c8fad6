/**
 * The Redis SessionGuard made safe to lose. Every call gives up after
 * `timeoutMs` (100 ms, the rate limiter's figure); after a failure Redis is
 * skipped for `retryMs` and calls throw at once, so callers take their
 * fallback (the sessions row, which is the authority) in normal time, and a
 * frozen Redis costs one time limit per period instead of one per request.
 *
 * Revocations that cannot be written are not lost: they are kept here (until
 * the marker would have expired anyway), honoured by this process at once, and
 * written to Redis as soon as it answers again, before anything else is asked
 * of it. Without that, a Redis that kept its data through the outage would
 * still hold "seen recently" for a session revoked meanwhile, and any process
 * would accept its access tokens from that memory.
 *
 * What remains: while Redis cannot be reached by the revoking process but can
 * by another (a partition, not an outage), that other process may accept the
 * session's access tokens from its "seen" key until the revoking process gets
 * through (or the token expires).
 */
import type { Logger } from "pino";
import { Breaker, withTimeout } from "../system/fail-fast.ts";
import type { SessionGuard } from "./session-guard.ts";

export interface ResilientGuardOptions {
  timeoutMs?: number;
  retryMs?: number;
  /** Milliseconds; defaults to Date.now. */
  clock?: () => number;
  /** At most this many revocations wait for Redis (the oldest are dropped beyond; the rows still refuse them). */
  maxPending?: number;
}

export interface ResilientSessionGuard extends SessionGuard {
  /** True while Redis is considered away. */
  readonly degraded: boolean;
  /** Revocations waiting to be written to Redis. */
  readonly pending: number;
  /** For /ready: `degraded` while Redis does not answer (never throws); writes waiting revocations first. */
  readiness(): Promise<"degraded" | undefined>;
}

export function resilientSessionGuard(
  primary: SessionGuard,
  logger: Pick<Logger, "warn" | "info" | "error">,
  opts: ResilientGuardOptions = {},
): ResilientSessionGuard {
  const timeoutMs = opts.timeoutMs ?? 100;
  const retryMs = opts.retryMs ?? 1000;
  const clock = opts.clock ?? Date.now;
  const maxPending = opts.maxPending ?? 100_000;
  /** Session id → when its marker would expire (ms). */
  const pending = new Map<string, number>();
  let probe: ReturnType<typeof setInterval> | undefined;
  let flushing: Promise<void> | undefined;

  const breaker = new Breaker({
    timeoutMs,
    retryMs,
    clock,
    onOpen: (err) => {
      logger.warn(
        { error: (err as Error)?.message, retryMs },
        "SessionGuard store unavailable: sessions are checked against the database until it answers",
      );
      startProbing();
    },
    onClose: () => {
      logger.info({}, "SessionGuard store answers again");
      stopProbing();
      void flush();
    },
  });

  // With no request arriving, nobody would notice Redis is back and the waiting revocations would wait too.
  function startProbing(): void {
    probe ??= setInterval(() => {
      void withTimeout(primary.ping(), Math.max(timeoutMs, 500)).then(
        () => breaker.succeed(),
        () => {},
      );
    }, retryMs);
    probe.unref?.();
  }
  function stopProbing(): void {
    if (probe) clearInterval(probe);
    probe = undefined;
  }

  const isPending = (sid: string) => {
    const until = pending.get(sid);
    if (until === undefined) return false;
    if (until > clock()) return true;
    pending.delete(sid);
    return false;
  };

  function remember(sid: string, ttlSeconds: number): void {
    if (pending.size >= maxPending) {
      const oldest = pending.keys().next().value;
      if (oldest !== undefined) pending.delete(oldest);
    }
    pending.set(sid, clock() + Math.max(1, ttlSeconds) * 1000);
  }

  /** Writes the waiting revocations; one flush at a time. Failures leave them waiting. */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      try {
        for (const [sid, until] of [...pending]) {
          const left = Math.ceil((until - clock()) / 1000);
          if (left > 0) await breaker.run(() => primary.revoke(sid, left));
          pending.delete(sid);
        }
        if (pending.size === 0) return;
      } catch (err) {
        logger.warn(
          { error: (err as Error)?.message, waiting: pending.size },
          "revocations still waiting for Redis",
        );
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const run = <T>(fn: () => Promise<T>) => breaker.run(fn);

  return {
    kind: primary.kind,
    get degraded() {
      return breaker.open;
    },
    get pending() {
      return pending.size;
    },
    async revoke(sid, ttlSeconds) {
      try {
        await run(() => primary.revoke(sid, ttlSeconds));
        pending.delete(sid);
      } catch (err) {
        remember(sid, ttlSeconds);
        logger.warn(
          { error: (err as Error)?.message, sessionId: sid },
          "revocation marker kept in memory until Redis answers (the sessions row already refuses it)",
        );
      }
    },
    async isRevoked(sid) {
      if (isPending(sid)) return true;
      return run(() => primary.isRevoked(sid));
    },
    async touch(sid, at, idleSeconds, userId) {
      if (isPending(sid)) return { revoked: true, lastSeen: null };
      return run(() => primary.touch(sid, at, idleSeconds, userId));
    },
    announceUserVersion: (userId, version) => run(() => primary.announceUserVersion(userId, version)),
    lastSeen: (sids) => run(() => primary.lastSeen(sids)),
    hit: (key, windowSeconds) => run(() => primary.hit(key, windowSeconds)),
    hits: (key) => run(() => primary.hits(key)),
    forget: (key) => run(() => primary.forget(key)),
    ping: () => withTimeout(primary.ping(), Math.max(timeoutMs, 500)),
    async readiness() {
      try {
        await withTimeout(primary.ping(), Math.max(timeoutMs, 500));
      } catch (err) {
        breaker.fail(err);
        return "degraded";
      }
      breaker.succeed();
      if (pending.size > 0) await flush();
      return pending.size > 0 || breaker.open ? "degraded" : undefined;
    },
    async close() {
      stopProbing();
      await primary.close();
    },
  };
}
