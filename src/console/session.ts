/**
 * The console's session: an httpOnly, SameSite=Strict cookie holding the access
 * token of a real Vigil session (started by the identity login command, with
 * its TOTP step). Every request is checked by `requireAuth`, the same middleware
 * bearer requests go through, reading the token from the cookie: so session
 * revocation, idle timeout, disabled accounts and fresh roles apply exactly as
 * on the API. Secure outside development; in production the `__Host-` prefix
 * also pins it to this origin and path `/`.
 *
 * The token is renewed (a new access token for the SAME session, which
 * requireAuth has just found alive) when less than a third of its lifetime is
 * left, so an operator who keeps working is not signed out every 15 minutes,
 * while one who stops is ended by the session's idle timeout as on the API.
 * No refresh token is kept in the browser: a refresh-token rotation racing
 * between two tabs would trip reuse detection and revoke the session.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AuthDeps } from "../auth/deps.ts";
import type { AppEnv } from "../http/env.ts";
import { issueTokens } from "../sessions/commands.ts";

export interface CookieNames {
  session: string;
  mfa: string;
}

/** `__Host-` needs Secure; plain HTTP on a developer's machine cannot have it. */
export function cookieNames(deps: AuthDeps): CookieNames {
  return secure(deps)
    ? { session: "__Host-vigil-console", mfa: "__Host-vigil-console-mfa" }
    : { session: "vigil-console", mfa: "vigil-console-mfa" };
}

export const secure = (deps: AuthDeps) => deps.config.env !== "development";

function cookieOptions(deps: AuthDeps, maxAge: number) {
  return { httpOnly: true, secure: secure(deps), sameSite: "Strict" as const, path: "/", maxAge };
}

export function sessionToken(c: Context<AppEnv>, deps: AuthDeps): string | undefined {
  const v = getCookie(c, cookieNames(deps).session);
  return v && v.length < 4096 ? v : undefined;
}

export function setSession(c: Context<AppEnv>, deps: AuthDeps, accessToken: string): void {
  // The cookie outlives the token a little: renewal happens on a request, and an
  // expired token is refused by requireAuth anyway.
  setCookie(
    c,
    cookieNames(deps).session,
    accessToken,
    cookieOptions(deps, deps.config.auth.accessTokenTtlSeconds),
  );
}

export function clearSession(c: Context<AppEnv>, deps: AuthDeps): void {
  const names = cookieNames(deps);
  deleteCookie(c, names.session, { path: "/", secure: secure(deps) });
  deleteCookie(c, names.mfa, { path: "/", secure: secure(deps) });
}

export function mfaToken(c: Context<AppEnv>, deps: AuthDeps): string | undefined {
  const v = getCookie(c, cookieNames(deps).mfa);
  return v && v.length < 512 ? v : undefined;
}

export function setMfaToken(c: Context<AppEnv>, deps: AuthDeps, token: string, maxAge: number): void {
  setCookie(c, cookieNames(deps).mfa, token, cookieOptions(deps, maxAge));
}

export function clearMfaToken(c: Context<AppEnv>, deps: AuthDeps): void {
  deleteCookie(c, cookieNames(deps).mfa, { path: "/", secure: secure(deps) });
}

/** Seconds left on a JWT we issued and requireAuth has verified (payload only, no check here). */
function secondsLeft(token: string, nowMs: number): number {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      exp?: number;
    };
    return typeof payload.exp === "number" ? payload.exp - nowMs / 1000 : 0;
  } catch {
    return 0;
  }
}

/** After requireAuth accepted the cookie: a fresh access token for the same session when this one runs low. */
export async function renewIfLow(c: Context<AppEnv>, deps: AuthDeps, token: string): Promise<void> {
  const ttl = deps.config.auth.accessTokenTtlSeconds;
  if (secondsLeft(token, deps.clock.now().getTime()) > ttl / 3) return;
  const auth = c.get("auth");
  const pair = await issueTokens(deps, { userId: auth.userId, roles: [...auth.roles] }, auth.sessionId, "");
  setSession(c, deps, pair.accessToken);
}
