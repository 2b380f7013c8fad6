/** The per-caller rate limit for authenticated routes: per API key, or per user for sessions. */
import type { MiddlewareHandler } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../http/env.ts";
import { limitApiKey, limitAuthenticated } from "../security/ratelimit/index.ts";

export function limitCaller(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const perKey = limitApiKey(deps, (c) => {
    const key = c.get("auth")?.apiKey;
    return key ? { keyId: key.id } : null;
  });
  const perUser = limitAuthenticated(deps);
  return (c, next) => (c.get("auth")?.apiKey ? perKey(c, next) : perUser(c, next));
}
