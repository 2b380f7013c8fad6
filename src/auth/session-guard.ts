/**
 * The SessionGuard port: what the auth middleware asks on every request, kept
 * out of Postgres so the hot path costs no query.
 *
 * - Revocation markers: written right after a revoking transaction commits,
 *   kept as long as an access token naming the session can still be valid.
 * - Activity: each authenticated request records "seen now" (kept for the idle
 *   timeout). A session the guard has seen recently and not revoked is accepted
 *   without touching the database; one it knows nothing about (first request
 *   after a restart, an evicted key, a Redis outage) falls back to the sessions
 *   row, which is authoritative.
 * - Attempt counters: failures for emails that match no account, so they lock
 *   and count down exactly like real ones (no account enumeration).
 * - User versions: the highest `users.version` announced for each user, raised
 *   before every user-stream append commits, and returned by `touch`, so a
 *   process can tell in the same round trip whether its cached users row is
 *   still the latest (src/identity/user-cache.ts).
 *
 * Implementations: in-memory (one process) and Redis (shared; session-guard-redis.ts).
 */

export interface SessionActivity {
  revoked: boolean;
  /** The previous activity, or null when the guard knows none (unknown or idle past its window). */
  lastSeen: Date | null;
  /** With `touch`'s userId: the user's highest announced row version, null when none is known. */
  userVersion?: number | null;
}

/** How long an announced user version is remembered after its last raise. */
export const USER_VERSION_TTL_SECONDS = 7 * 24 * 3600;

export interface SessionGuard {
  readonly kind: "memory" | "redis";
  /** Refuses the session for `ttlSeconds` (the longest an access token naming it can live). */
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /**
   * Records activity at `now` (remembered for `idleSeconds`) and says what was known before;
   * with `userId`, also that user's announced version. One round trip.
   */
  touch(sessionId: string, now: Date, idleSeconds: number, userId?: string): Promise<SessionActivity>;
  /** Raises the user's announced row version to at least `version` (never lowers it). */
  announceUserVersion(userId: string, version: number): Promise<void>;
  /** Last known activity of each session; absent when unknown. Does not touch. */
  lastSeen(sessionIds: readonly string[]): Promise<Map<string, Date>>;
  /** Counts one attempt under `key`; the window restarts at each hit. Returns the new count. */
  hit(key: string, windowSeconds: number): Promise<number>;
  /** The count under `key` and the seconds until it resets (0 and 0 when none). */
  hits(key: string): Promise<{ count: number; resetSeconds: number }>;
  forget(key: string): Promise<void>;
  ping(): Promise<void>;
  /** For /ready, when the guard can serve without its store: `degraded` then, never a failure. */
  readiness?(): Promise<"degraded" | undefined>;
  close(): Promise<void>;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A map whose entries expire; swept lazily and every so often, so memory stays bounded by live keys. */
class ExpiringMap<T> {
  private readonly map = new Map<string, Entry<T>>();
  private writes = 0;
  constructor(private readonly now: () => number) {}

  get(key: string): Entry<T> | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  set(key: string, value: T, ttlMs: number): void {
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    if (++this.writes % 10_000 === 0) this.sweep();
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.map) if (e.expiresAt <= t) this.map.delete(k);
  }
}

/** One process only: with several processes sharing a database, use Redis (REDIS_URL). */
export function memorySessionGuard(clock: { now(): Date } = { now: () => new Date() }): SessionGuard {
  const now = () => clock.now().getTime();
  const revoked = new ExpiringMap<true>(now);
  const seen = new ExpiringMap<number>(now);
  const counters = new ExpiringMap<number>(now);
  const versions = new ExpiringMap<number>(now);
  return {
    kind: "memory",
    async revoke(sid, ttlSeconds) {
      revoked.set(sid, true, Math.max(1, ttlSeconds) * 1000);
      seen.delete(sid);
    },
    async isRevoked(sid) {
      return revoked.get(sid) !== undefined;
    },
    async touch(sid, at, idleSeconds, userId) {
      if (revoked.get(sid)) return { revoked: true, lastSeen: null };
      const prev = seen.get(sid);
      seen.set(sid, at.getTime(), idleSeconds * 1000);
      const activity: SessionActivity = { revoked: false, lastSeen: prev ? new Date(prev.value) : null };
      if (userId !== undefined) activity.userVersion = versions.get(userId)?.value ?? null;
      return activity;
    },
    async announceUserVersion(userId, version) {
      const v = Math.max(version, versions.get(userId)?.value ?? 0);
      versions.set(userId, v, USER_VERSION_TTL_SECONDS * 1000);
    },
    async lastSeen(sids) {
      const out = new Map<string, Date>();
      for (const sid of sids) {
        const e = seen.get(sid);
        if (e) out.set(sid, new Date(e.value));
      }
      return out;
    },
    async hit(key, windowSeconds) {
      const count = (counters.get(key)?.value ?? 0) + 1;
      counters.set(key, count, windowSeconds * 1000);
      return count;
    },
    async hits(key) {
      const e = counters.get(key);
      if (!e) return { count: 0, resetSeconds: 0 };
      return { count: e.value, resetSeconds: Math.ceil((e.expiresAt - now()) / 1000) };
    },
    async forget(key) {
      counters.delete(key);
    },
    async ping() {},
    async close() {},
  };
}
