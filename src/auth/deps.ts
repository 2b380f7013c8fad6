/** AppDeps with the auth services present: what identity and session code runs on. */
import type { AppDeps } from "../app.ts";
import type { AuthServices } from "./services.ts";

export type AuthDeps = AppDeps & { auth: AuthServices };

export function requireAuthDeps(deps: AppDeps): AuthDeps {
  if (!deps.auth) {
    throw new Error(
      "identity features need AppDeps.auth: build it with createAuthServices (src/auth/services.ts)",
    );
  }
  return deps as AuthDeps;
}

/** How long a revocation marker must outlive the revoke: an access token's whole life, plus skew. */
export const revocationTtl = (deps: AuthDeps) => deps.config.auth.accessTokenTtlSeconds + 60;

export function idleSecondsFor(deps: AppDeps, roles: readonly string[]): number {
  const a = deps.config.auth;
  return roles.includes("admin")
    ? Math.min(a.adminIdleTimeoutSeconds, a.idleTimeoutSeconds)
    : a.idleTimeoutSeconds;
}
