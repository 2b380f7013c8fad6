/**
 * `requireAuth`: `Authorization: Bearer <jwt>` → verified claims → session
 * check → `c.var.auth`. 401 problems: `unauthorized` (no or unusable header),
 * `token_invalid`, `token_expired`, `session_revoked`.
 *
 * The session check is the SessionGuard first (in-memory: no I/O; Redis: one
 * round trip that also records activity). Only when the guard knows nothing of
 * the session (its first request, a restart, an expired or evicted key, Redis
 * unreachable) does it read the `sessions` row by primary key, which is the
 * authority. Trade-off: a revocation takes effect at once through the marker
 * written right after its commit; were that write lost (crash in between, Redis
 * hiccup), a session the guard saw active would keep working until its access
 * token expires (≤ ACCESS_TOKEN_TTL_SECONDS), while any process without that
 * memory refuses it from the row.
 *
 * Roles (and the two-factor state admin permissions need) are NOT taken from the
 * token: they come from the users projection through a 5-second cache
 * (src/access/principals.ts), so a revoked role stops working at once. API keys
 * (`Bearer mk_…` or `X-API-Key`) are accepted only where a route opts in; see
 * src/api-keys/authenticate.ts.
 */
import type { MiddlewareHandler } from "hono";
import { principalsFor } from "../access/principals.ts";
import { authenticateApiKey } from "../api-keys/authenticate.ts";
import type { AppDeps } from "../app.ts";
import { type AccessClaims, TokenError } from "../crypto/jwt.ts";
import { declareAnswers } from "../http/answers.ts";
import type { AppEnv } from "../http/env.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { requestLogger } from "../http/request-logger.ts";
import { revokeSessions } from "../sessions/commands.ts";
import { isIdle, sessionById } from "../sessions/session.ts";
import { type AuthDeps, idleSecondsFor, requireAuthDeps, revocationTtl } from "./deps.ts";
import { verifiedTokensOf } from "./principal.ts";

const CHALLENGE = 'Bearer realm="vigil"';
const challenge = (error: string) => ({ "WWW-Authenticate": `${CHALLENGE}, error="${error}"` });

export interface RequireAuthOptions {
  /**
   * Also accept API keys (`Authorization: Bearer mk_…` or `X-API-Key`). Off by
   * default: routes about the session itself (logout, sessions, two-factor)
   * need a login. Routes that turn it on must declare a permission
   * (requirePermission), which is where a key's scopes are applied.
   */
  apiKeys?: boolean;
  /**
   * Where the access token comes from instead of the Authorization header: the
   * console (src/console/session.ts) reads it from its cookie. API keys are
   * then never accepted; every other check is the same.
   */
  tokenFrom?: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => string | undefined;
}

export function requireAuth(appDeps: AppDeps, opts: RequireAuthOptions = {}): MiddlewareHandler<AppEnv> {
  const deps = requireAuthDeps(appDeps);
  const { tokens, guard } = deps.auth;
  // Shared with the rate limiter's principal check (principal.ts): one verification per token.
  const verified = verifiedTokensOf(deps.auth);
  // Roles come from the users projection (short cache), not the token: see src/access/principals.ts.
  const principals = principalsFor(deps);

  async function verify(token: string, c: Parameters<MiddlewareHandler<AppEnv>>[0]): Promise<AccessClaims> {
    try {
      const claims = await tokens.verifyAccess(token);
      verified.set(token, claims);
      return claims;
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      requestLogger(c)?.debug({ reason: err.reason }, "access token refused");
      throw new AppError(
        err.code,
        err.code === "token_expired" ? "The access token has expired" : "The access token is not valid",
        { headers: challenge("invalid_token") },
      );
    }
  }

  // /openapi.json declares the credentials and the 401 from this tag (src/http/openapi.ts).
  const security = opts.apiKeys ? [["bearerAuth"], ["apiKey"]] : [["bearerAuth"]];
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (opts.tokenFrom) {
      const token = opts.tokenFrom(c);
      if (!token) throw new AppError("unauthorized", "Sign in first");
      return authenticate(token, c, next);
    }
    const header = c.req.header("Authorization");
    const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    const xApiKey = c.req.header("X-API-Key");
    if (xApiKey !== undefined || match?.[1]?.startsWith("mk_")) {
      if (!opts.apiKeys || (xApiKey !== undefined && header !== undefined)) {
        throw new AppError("unauthorized", "API keys are not accepted on this endpoint", {
          headers: challenge("invalid_token"),
        });
      }
      c.set(
        "auth",
        await authenticateApiKey(deps, (xApiKey ?? match![1]!).trim(), c.get("clientIp") ?? null),
      );
      return next();
    }
    if (!match) {
      throw new AppError("unauthorized", "Send `Authorization: Bearer <access token>`", {
        headers: { "WWW-Authenticate": CHALLENGE },
      });
    }
    return authenticate(match[1]!, c, next);
  };
  return declareAnswers(handler, { statuses: [401], security });

  async function authenticate(
    token: string,
    c: Parameters<MiddlewareHandler<AppEnv>>[0],
    next: Parameters<MiddlewareHandler<AppEnv>>[1],
  ): Promise<void> {
    let claims = verified.get(token, deps.clock.now());
    if (!claims) claims = await verify(token, c);
    const principal = await principals.get(claims.sub);
    if (principal?.status !== "active") throw revoked();
    const idle = idleSecondsFor(deps, principal.roles);
    let known = false;
    let userVersion: number | null | undefined;
    try {
      const activity = await guard.touch(claims.sid, deps.clock.now(), idle, claims.sub);
      if (activity.revoked) throw revoked();
      known = activity.lastSeen !== null;
      userVersion = activity.userVersion;
    } catch (err) {
      if (err instanceof AppError) throw err;
      // The guard logs its outage once (session-guard-resilient.ts); not once per request.
      requestLogger(c)?.debug({ err }, "SessionGuard unavailable; checking the sessions row");
    }
    if (!known) await checkSessionRow(deps, c, claims.sid, claims.sub, idle);
    c.set("auth", {
      userId: claims.sub,
      sessionId: claims.sid,
      roles: principal.roles,
      needsSecondFactor: deps.config.adminRequireMfa && !principal.mfaEnabled,
      userVersion,
    });
    await next();
  }
}

const revoked = () =>
  new AppError("session_revoked", "This session has been revoked; log in again", {
    headers: challenge("invalid_token"),
  });

/** The authoritative check, when the guard has no memory of the session. */
async function checkSessionRow(
  deps: AuthDeps,
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  sid: string,
  sub: string,
  idleSeconds: number,
): Promise<void> {
  const s = await sessionById(deps.db, sid);
  const now = deps.clock.now();
  if (!s || s.userId !== sub) throw revoked();
  if (s.revokedAt || s.expiresAt <= now) {
    await deps.auth.guard.revoke(sid, revocationTtl(deps)).catch(() => {});
    throw revoked();
  }
  if (isIdle(s, undefined, now, idleSeconds)) {
    await revokeSessions(deps, [s], "idle_timeout", eventMetadata(c, { actor: "system:session-guard" }));
    throw revoked();
  }
}

/**
 * For sensitive changes (turning two-factor off, new backup codes): the
 * session must have been started by a login within `maxAgeSeconds` (the
 * session's creation, which refreshes do not move), else 401
 * `reauthentication_required`. Mount after `requireAuth`.
 */
export function requireRecentLogin(appDeps: AppDeps, maxAgeSeconds = 300): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get("auth");
    const s = auth?.sessionId ? await sessionById(appDeps.db, auth.sessionId) : null;
    const now = appDeps.clock.now().getTime();
    if (!s || now - s.createdAt.getTime() > maxAgeSeconds * 1000) {
      throw new AppError(
        "reauthentication_required",
        `Log in again: this needs a login within the last ${Math.round(maxAgeSeconds / 60)} minutes`,
        { headers: challenge("insufficient_user_authentication"), ext: { maxAgeSeconds } },
      );
    }
    await next();
  };
}
