/**
 * The ban check on the authentication routes. Active bans are few, so the
 * whole set is held in memory and reloaded at most every `ttlMs` (5 s) with one
 * query: the hot path costs a Map lookup, not a query per request. A ban takes
 * effect in other processes within the TTL; in this process at once, since the
 * analyzer and the lift route invalidate the cache they share (one per database).
 * When the database cannot be read the check lets requests through on the last
 * list it had: a ban is a brake on abuse, and its store failing must not take
 * logins down with it.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { Db } from "../../../db/client.ts";
import { withoutDeadline } from "../../../db/deadline.ts";
import type { AppDeps } from "../../app.ts";
import type { AppEnv } from "../../http/env.ts";
import { AppError } from "../../http/errors.ts";
import { ipSubject } from "../ratelimit/policies.ts";

export const BAN_CACHE_TTL_MS = 5_000;

export class BanList {
  private bans = new Map<string, number>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: { now(): Date },
    private readonly ttlMs = BAN_CACHE_TTL_MS,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** When the address's ban ends, or null when it is not banned. */
  async bannedUntil(ip: string): Promise<Date | null> {
    if (performance.now() - this.loadedAt > this.ttlMs) await this.reload();
    const until = this.bans.get(ip);
    return until !== undefined && until > this.clock.now().getTime() ? new Date(until) : null;
  }

  /** The next check reads the table again. */
  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  private reload(): Promise<void> {
    // One query in flight however many requests arrive meanwhile.
    // Shared by every request meanwhile, so outside any one request's deadline.
    this.loading ??= withoutDeadline(async () => {
      try {
        const rows = await this.db.query<{ ip: string; until: Date | string }>(
          "SELECT ip, until FROM ip_bans WHERE lifted_at IS NULL AND until > $1",
          [this.clock.now().toISOString()],
        );
        this.bans = new Map(rows.map((r) => [r.ip, new Date(r.until).getTime()]));
        this.loadedAt = performance.now();
      } catch (err) {
        this.onError(err);
      } finally {
        this.loading = undefined;
      }
    });
    return this.loading;
  }
}

const lists = new WeakMap<Db, BanList>();

/** The process's ban list for this database (shared by the middleware, the analyzer and the lift route). */
export function banListFor(deps: { db: Db; clock: { now(): Date }; logger: Pick<Logger, "warn"> }): BanList {
  let list = lists.get(deps.db);
  if (!list) {
    list = new BanList(deps.db, deps.clock, BAN_CACHE_TTL_MS, (err) =>
      deps.logger.warn({ err }, "could not read ip_bans; the ban check uses its last list"),
    );
    lists.set(deps.db, list);
  }
  return list;
}

/** 403 `ip_banned` with Retry-After for a banned address (IPv4, or the IPv6 /64). */
export function banCheck(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const list = banListFor(deps);
  return async (c, next) => {
    const ip = ipSubject(c);
    const until = ip ? await list.bannedUntil(ip) : null;
    if (until) {
      const seconds = Math.max(1, Math.ceil((until.getTime() - deps.clock.now().getTime()) / 1000));
      throw new AppError("ip_banned", "This address is temporarily banned after too many failed logins", {
        headers: { "Retry-After": String(seconds) },
        ext: { retryAfter: seconds },
      });
    }
    await next();
  };
}
