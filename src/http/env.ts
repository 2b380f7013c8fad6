/** The Hono environment every Vigil router shares: what middleware puts on the context. */
import type { Logger } from "pino";

export interface AppVariables {
  /** Echoed as X-Request-Id and put in every problem body and log line. */
  requestId: string;
  /** The request-scoped child logger (carries requestId). */
  logger: Logger;
  /** The client address after the trusted-proxy rule; undefined when unknown. */
  clientIp: string | undefined;
  /** Set by `requireAuth` (src/auth/middleware.ts) on authenticated routes. */
  auth: AuthContext;
}

/** Who is calling: the verified access token's subject, session and roles. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  roles: readonly string[];
}

export interface AppEnv {
  Variables: AppVariables;
}
