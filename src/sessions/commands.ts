/**
 * Session commands: start (with eviction, inside the login transaction),
 * refresh with rotation and reuse detection, and revoke. Each reads the
 * `sessions` row, decides (session.ts), and appends at the row's version; the
 * SessionGuard learns of every revocation right after its transaction commits.
 */
import type { Sql } from "../../db/client.ts";
import type { SessionRevokeReason } from "../../events/catalog/sessions.ts";
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import { type AuthDeps, idleSecondsFor, revocationTtl } from "../auth/deps.ts";
import { randomToken, sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { userById } from "../identity/user.ts";
import {
  decideRefresh,
  decideRevoke,
  decideStart,
  openSessions,
  planEviction,
  type SessionState,
  sessionById,
  sessionStream,
} from "./session.ts";

const RETRIES = 5;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  sessionId: string;
}

export async function issueTokens(
  deps: AuthDeps,
  user: { userId: string; roles: string[] },
  sessionId: string,
  refreshToken: string,
): Promise<TokenPair> {
  const access = await deps.auth.tokens.signAccess({ sub: user.userId, sid: sessionId, roles: user.roles });
  return {
    accessToken: access.token,
    refreshToken,
    tokenType: "Bearer",
    expiresIn: access.expiresIn,
    sessionId,
  };
}

/** Tells the guard, after commit, that these sessions are dead. The rows already say so. */
export async function markRevoked(deps: AuthDeps, sessionIds: readonly string[]): Promise<void> {
  for (const sid of sessionIds) {
    try {
      await deps.auth.guard.revoke(sid, revocationTtl(deps));
    } catch (err) {
      // The sessions row is authoritative, but a guard that still remembers the
      // session as active would accept its access tokens until they expire.
      deps.logger.error({ err, sessionId: sid }, "session revoked but the SessionGuard could not be told");
    }
  }
}

export interface StartedSession {
  sessionId: string;
  refreshToken: string;
  /** Sessions this start ended (idle or evicted): tell the guard after commit. */
  ended: string[];
}

/**
 * What the SessionGuard knows of a user's open sessions' activity, read BEFORE
 * the login transaction: the transaction holds the user's row lock, and nothing
 * may hold a row lock while waiting on Redis. A session started in between is
 * simply unknown to the map, and its row's last activity is used instead.
 */
export async function sessionActivity(deps: AuthDeps, userId: string): Promise<Map<string, Date>> {
  const open = await openSessions(deps.db, userId, deps.clock.now());
  if (open.length === 0) return new Map();
  return guardLastSeen(
    deps,
    open.map((s) => s.sessionId),
  );
}

/**
 * Inside the login transaction: ends idle and excess sessions, then starts the
 * new one. `seen` is the guard's activity from `sessionActivity`, read before
 * the transaction; this function itself never calls Redis.
 */
export async function startSessionIn(
  tx: Sql,
  deps: AuthDeps,
  cmd: { sessionId: string; userId: string; roles: string[]; ip: string | null; userAgent: string | null },
  metadata: EventMetadata,
  seen: ReadonlyMap<string, Date>,
): Promise<StartedSession> {
  const now = deps.clock.now();
  const open = await openSessions(tx, cmd.userId, now);
  const idle = idleSecondsFor(deps, cmd.roles);
  const plan = planEviction(open, seen, now, () => idle, deps.config.auth.maxSessionsPerUser);
  const ended: string[] = [];
  const end = async (s: SessionState, reason: SessionRevokeReason) => {
    const events = decideRevoke(s, reason);
    if (events.length === 0) return;
    await deps.store.appendIn(tx, sessionStream(s.sessionId), s.version, events, metadata);
    ended.push(s.sessionId);
  };
  for (const s of plan.idle) await end(s, "idle_timeout");
  for (const s of plan.evicted) await end(s, "evicted");

  const refreshToken = randomToken(32);
  const events = decideStart({
    sessionId: cmd.sessionId,
    userId: cmd.userId,
    refreshTokenHash: sha256Hex(refreshToken),
    expiresAt: new Date(now.getTime() + deps.config.auth.refreshTokenTtlSeconds * 1000),
    ip: cmd.ip,
    userAgent: cmd.userAgent,
  });
  await deps.store.appendIn(tx, sessionStream(cmd.sessionId), "no_stream", events, metadata);
  return { sessionId: cmd.sessionId, refreshToken, ended };
}

async function guardLastSeen(deps: AuthDeps, sids: string[]): Promise<Map<string, Date>> {
  try {
    return await deps.auth.guard.lastSeen(sids);
  } catch (err) {
    // The guard logs its own outage once; a line per request would flood the log.
    deps.logger.debug({ err }, "SessionGuard unavailable; using the log's last activity");
    return new Map();
  }
}

/**
 * Inside the caller's transaction (e.g. with the password change that causes it):
 * appends the revocations; returns the ids to pass to `markRevoked` after commit.
 * A session changed meanwhile raises ConcurrencyError: the caller decides again.
 */
export async function revokeSessionsIn(
  tx: Sql,
  deps: AuthDeps,
  sessions: readonly SessionState[],
  reason: SessionRevokeReason,
  metadata: EventMetadata,
): Promise<string[]> {
  const out: string[] = [];
  for (const s of sessions) {
    const events = decideRevoke(s, reason);
    if (events.length === 0) continue;
    await deps.store.appendIn(tx, sessionStream(s.sessionId), s.version, events, metadata);
    out.push(s.sessionId);
  }
  return out;
}

/** Revokes sessions in one transaction (retrying on a concurrent change); returns those it ended. */
export async function revokeSessions(
  deps: AuthDeps,
  sessions: readonly SessionState[],
  reason: SessionRevokeReason,
  metadata: EventMetadata,
): Promise<string[]> {
  let targets = sessions;
  for (let attempt = 0; ; attempt++) {
    try {
      const ended = await deps.db.transaction((tx) => revokeSessionsIn(tx, deps, targets, reason, metadata));
      await markRevoked(deps, ended);
      return ended;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
      const fresh = await Promise.all(targets.map((s) => sessionById(deps.db, s.sessionId)));
      targets = fresh.filter((s): s is SessionState => s !== null);
    }
  }
}

interface TokenRow {
  token_hash: string;
  session_id: string;
  spent: boolean;
  expires_at: Date | string;
}

/** Rotates a refresh token: the presented one is spent, a new pair is issued. */
export async function refreshSession(
  deps: AuthDeps,
  refreshToken: string,
  metadata: EventMetadata,
): Promise<TokenPair> {
  const tokenHash = sha256Hex(refreshToken);
  for (let attempt = 0; ; attempt++) {
    // One statement, one snapshot: the token's state and the session version it is decided at.
    const [row] = await deps.db.query<TokenRow & { version: number }>(
      `SELECT t.token_hash, t.session_id, t.spent, t.expires_at, s.version
       FROM refresh_tokens t JOIN sessions s ON s.session_id = t.session_id
       WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const found = row ? await sessionById(deps.db, row.session_id) : null;
    if (!row || !found) throw new AppError("invalid_refresh_token", "The refresh token is not valid");
    const session = { ...found, version: Number(row.version) };
    const user = await userById(deps.db, session.userId);
    if (!user) throw new AppError("invalid_refresh_token", "The refresh token is not valid");

    const now = deps.clock.now();
    const next = randomToken(32);
    const seen = await guardLastSeen(deps, [session.sessionId]);
    const { outcome, events } = decideRefresh(
      session,
      { tokenHash, spent: row.spent, expiresAt: new Date(row.expires_at) },
      {
        now,
        newTokenHash: sha256Hex(next),
        newExpiresAt: new Date(now.getTime() + deps.config.auth.refreshTokenTtlSeconds * 1000),
        guardSeen: seen.get(session.sessionId),
        idleSeconds: idleSecondsFor(deps, user.roles),
      },
    );
    if (outcome.kind === "rotated" && user.status !== "active") {
      throw new AppError("account_disabled", "This account is disabled");
    }
    if (events.length > 0) {
      try {
        await deps.store.append(sessionStream(session.sessionId), session.version, events, metadata);
      } catch (err) {
        // A concurrent use of the same session: decide again on what it left (often: now spent).
        if (err instanceof ConcurrencyError && attempt < RETRIES) continue;
        throw err;
      }
    }
    switch (outcome.kind) {
      case "reused":
        await markRevoked(deps, [session.sessionId]);
        throw new AppError(
          "refresh_token_reused",
          "This refresh token was already used; the session has been revoked",
        );
      case "invalid":
        throw new AppError("invalid_refresh_token", "The refresh token is not valid");
      case "idle":
        await markRevoked(deps, [session.sessionId]);
        throw new AppError("invalid_refresh_token", "The session ended after inactivity");
      case "rotated":
        await touch(deps, session.sessionId, user.roles);
        return issueTokens(deps, user, session.sessionId, next);
    }
  }
}

/** Records activity now, so the next request takes the guard's fast path. */
export async function touch(deps: AuthDeps, sessionId: string, roles: readonly string[]): Promise<void> {
  try {
    await deps.auth.guard.touch(sessionId, deps.clock.now(), idleSecondsFor(deps, roles));
  } catch (err) {
    deps.logger.debug({ err }, "SessionGuard unavailable; the next request checks the sessions row");
  }
}
