/**
 * Who is on a socket, and whether they still may be: the same checks
 * `requireAuth` makes on every HTTP request (src/auth/middleware.ts), made on
 * the socket's `auth` message, on every later message and at every heartbeat.
 *
 * - the access token: EdDSA signature, issuer, audience, expiry;
 * - the account: active (roles read fresh from the users projection);
 * - the session: the SessionGuard first (revocation marker, activity), the
 *   `sessions` row when the guard knows nothing of it (the authority).
 *
 * An open socket counts as activity (each check touches the guard), so a
 * connected guardian's session does not go idle under it.
 */
import { hasPermission } from "../../access/permissions.ts";
import { principalsFor } from "../../access/principals.ts";
import type { AppDeps } from "../../app.ts";
import { type AuthDeps, idleSecondsFor, requireAuthDeps, revocationTtl } from "../../auth/deps.ts";
import { TokenError } from "../../crypto/jwt.ts";
import { isIdle, sessionById } from "../../sessions/session.ts";
import type { CloseReason } from "./protocol.ts";

export interface SocketIdentity {
  userId: string;
  sessionId: string;
  roles: readonly string[];
  tokenExpiresAt: Date;
}

export type AuthFailure = Extract<
  CloseReason,
  "token_invalid" | "token_expired" | "session_revoked" | "account_disabled" | "forbidden"
>;

export type AuthOutcome = { ok: true; identity: SocketIdentity } | { ok: false; reason: AuthFailure };

export interface SocketAuth {
  /** Verifies an access token and its session: the `auth` message. */
  authenticate(token: string): Promise<AuthOutcome>;
  /** Is this identity still good now (token unexpired, account active, session alive)? */
  check(identity: SocketIdentity): Promise<AuthOutcome>;
}

/** Custody over the socket needs one of these (a guardian reads and signs; a viewer reads). */
const mayUseCustody = (roles: readonly string[]) =>
  hasPermission(roles, "custody:read") || hasPermission(roles, "custody:sign");

export function createSocketAuth(appDeps: AppDeps): SocketAuth {
  const deps = requireAuthDeps(appDeps);
  const principals = principalsFor(deps);

  async function sessionAlive(sid: string, userId: string, idleSeconds: number): Promise<boolean> {
    let known = false;
    try {
      const activity = await deps.auth.guard.touch(sid, deps.clock.now(), idleSeconds);
      if (activity.revoked) return false;
      known = activity.lastSeen !== null;
    } catch (err) {
      deps.logger.warn({ err }, "SessionGuard unavailable; checking the sessions row");
    }
    return known || (await sessionRowAlive(deps, sid, userId, idleSeconds));
  }

  async function check(identity: SocketIdentity): Promise<AuthOutcome> {
    if (identity.tokenExpiresAt.getTime() <= deps.clock.now().getTime()) {
      return { ok: false, reason: "token_expired" };
    }
    const principal = await principals.get(identity.userId);
    if (!principal) return { ok: false, reason: "session_revoked" };
    if (principal.status !== "active") return { ok: false, reason: "account_disabled" };
    if (!mayUseCustody(principal.roles)) return { ok: false, reason: "forbidden" };
    const idle = idleSecondsFor(deps, principal.roles);
    if (!(await sessionAlive(identity.sessionId, identity.userId, idle))) {
      return { ok: false, reason: "session_revoked" };
    }
    return { ok: true, identity: { ...identity, roles: principal.roles } };
  }

  return {
    check,
    async authenticate(token) {
      try {
        const claims = await deps.auth.tokens.verifyAccess(token);
        return check({
          userId: claims.sub,
          sessionId: claims.sid,
          roles: [],
          tokenExpiresAt: new Date(claims.exp * 1000),
        });
      } catch (err) {
        if (err instanceof TokenError) return { ok: false, reason: err.code };
        throw err;
      }
    },
  };
}

/**
 * The authoritative check. Unlike the HTTP middleware it does not itself revoke
 * an idle session: the socket is refused and the next HTTP request records it.
 */
async function sessionRowAlive(deps: AuthDeps, sid: string, userId: string, idle: number): Promise<boolean> {
  const s = await sessionById(deps.db, sid);
  const now = deps.clock.now();
  if (!s || s.userId !== userId) return false;
  if (s.revokedAt || s.expiresAt <= now) {
    await deps.auth.guard.revoke(sid, revocationTtl(deps)).catch(() => {});
    return false;
  }
  return !isIdle(s, undefined, now, idle);
}
