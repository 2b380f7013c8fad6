/**
 * The users row of an authenticated request, served from this process when it
 * is provably the latest, so `GET /v1/auth/me` costs no query.
 *
 * How "provably": `users.version` is the user stream's version, and every
 * append to a user stream announces its new version to the SessionGuard
 * before it commits (`linkUserVersions`, through the event store's
 * before-commit hook). The announced version therefore never trails a
 * committed one, and the guard call every authenticated request already makes
 * returns it (`AuthContext.userVersion`). A cached row is served only when its
 * version equals the announced one: then no later version has committed. Any
 * other case (unknown, higher because a write is in flight or rolled back)
 * reads the row.
 *
 * What can go wrong, and its bound: an announcement that fails (Redis away or
 * timing out) is not retried, so another process may serve a row it cached
 * before that write for at most TTL_MS. The next miss after it raises the
 * announced version to the row's (it only ever rises), which heals the key
 * for every process.
 */
import type { Sql } from "../../db/client.ts";
import type { AppendHook, EventStore } from "../../events/store.ts";
import type { SessionGuard } from "../auth/session-guard.ts";
import { type UserState, userById } from "./user.ts";

/** The backstop on a cached row's age: how stale a lost announcement can leave another process. */
export const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

interface Entry {
  user: UserState;
  at: number;
}

export class UserCache {
  private readonly rows = new Map<string, Entry>();
  constructor(
    private readonly sql: Sql,
    private readonly guard: Pick<SessionGuard, "announceUserVersion">,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user's row, from memory when `announced` proves it current, else from the database. */
  async get(userId: string, announced: number | null | undefined): Promise<UserState | null> {
    const t = this.now();
    const hit = this.rows.get(userId);
    if (hit && announced != null && hit.user.version === announced && t - hit.at < TTL_MS && t >= hit.at) {
      return hit.user;
    }
    const user = await userById(this.sql, userId);
    if (!user) {
      this.rows.delete(userId);
      return null;
    }
    // Nothing is known (a new key, Redis restarted) or an announcement was lost: raise it to what committed.
    if (announced !== undefined && (announced === null || announced < user.version)) {
      this.guard.announceUserVersion(userId, user.version).catch(() => {});
    }
    if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
    this.rows.set(userId, { user, at: t });
    return user;
  }
}

/** Announces every user-stream append's version before it commits; returns the unsubscribe. */
export function linkUserVersions(
  store: Pick<EventStore, "beforeCommit">,
  guard: Pick<SessionGuard, "announceUserVersion">,
): () => void {
  const hook: AppendHook = async (streamId, version) => {
    // A write must not fail because Redis does: the cost of a lost announcement is bounded (TTL_MS above).
    await guard.announceUserVersion(streamId.slice("user-".length), version).catch(() => {});
  };
  return store.beforeCommit("user", hook);
}
