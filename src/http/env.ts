/** The Hono environment every Vigil router shares: what middleware puts on the context. */
import type { Logger } from "pino";

export interface AppVariables {
  /** Echoed as X-Request-Id and put in every problem body and log line. */
  requestId: string;
  /** The request-scoped child logger (carries requestId): read it with `requestLogger(c)`, which makes it on first use. */
  logger: Logger | undefined;
  /** The application's logger, set by the request-id middleware; the child above is made from it. */
  rootLogger: Logger;
  /** The client address after the trusted-proxy rule; undefined when unknown. */
  clientIp: string | undefined;
  /** Set by `requireAuth` (src/auth/middleware.ts) on authenticated routes. */
  auth: AuthContext;
  /**
   * The per-caller limit this request was already charged to before the route
   * ran (src/security/ratelimit/middleware.ts): the subject and its policy
   * header, so a later limiter on the same subject and policy does not charge again.
   */
  rateCharged: { subject: string; policy: string };
}

/** Who is calling: the verified access token's subject, session and roles. */
export interface AuthContext {
  userId: string;
  /** Empty for API-key requests (only routes that opt in with `requireAuth(deps, { apiKeys: true })`). */
  sessionId: string;
  /** Read fresh from the users projection (src/access/principals.ts), not from the token. */
  roles: readonly string[];
  /** Set when an API key authenticated the request: what it may do is also bounded by its scopes. */
  apiKey?: { id: string; scopes: readonly string[] };
  /** True for a user without two-factor while ADMIN_REQUIRE_MFA holds: admin permissions answer 403 mfa_required. */
  needsSecondFactor?: boolean;
  /**
   * The user's announced row version read with the session check (src/auth/session-guard.ts);
   * null or absent when unknown, and then no cached users row may be trusted.
   */
  userVersion?: number | null;
}

export interface AppEnv {
  Variables: AppVariables;
}
