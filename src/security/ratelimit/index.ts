/**
 * Rate limiting: the port, its stores, the middleware and Vigil's policies.
 *
 * Wiring: `createRateLimiter(config, logger)` (buildRuntime calls it) gives the
 * limiter for `AppDeps.rateLimiter`: Redis (with the in-memory fallback) when
 * REDIS_URL is set, memory otherwise, plus a /ready check for Redis. createApp
 * mounts `limitUnauthenticated` on /v1; feature routes attach the others:
 *
 *   router.post("/login", limitLogin(deps), handler)
 *   router.use("/me/*", requireAuth(deps), limitAuthenticated(deps))
 */
import type { Logger } from "pino";
import type { ReadinessCheck } from "../../app.ts";
import type { Config } from "../../config.ts";
import { leasingLimiter } from "./lease.ts";
import { memoryLimiter } from "./memory.ts";
import { redisLimiter } from "./redis.ts";
import { type ResilientLimiter, resilientLimiter } from "./resilient.ts";
import type { RateLimiter } from "./types.ts";

export type { Evidence } from "./evidence.ts";
export { createEvidence } from "./evidence.ts";
export { type LeaseOptions, leasingLimiter } from "./lease.ts";
export { type MemoryLimiterOptions, memoryLimiter } from "./memory.ts";
export { type RateLimitOptions, rateLimit } from "./middleware.ts";
export {
  evidenceFor,
  ipSubject,
  limitApiKey,
  limitAuthenticated,
  limitEmailSends,
  limitLogin,
  limitRegister,
  limitUnauthenticated,
  namedPolicies,
} from "./policies.ts";
export { type RedisLimiterOptions, redisLimiter } from "./redis.ts";
export { type ResilientLimiter, resilientLimiter } from "./resilient.ts";
export type { Decision, NamedPolicy, RateLimiter, RatePolicy } from "./types.ts";

export interface RateLimiterWiring {
  limiter: RateLimiter;
  /** Present with Redis: reports `degraded` while decisions come from memory. */
  readiness?: ReadinessCheck;
  close(): Promise<void>;
}

export async function createRateLimiter(
  config: Config,
  logger: Logger,
  opts: { connectTimeoutMs?: number } = {},
): Promise<RateLimiterWiring> {
  if (!config.redisUrl) return { limiter: memoryLimiter(), close: async () => {} };
  const timeoutMs = config.rateLimit.storeTimeoutMs;
  const primary = redisLimiter({
    redis: config.redisUrl,
    prefix: config.redisPrefix,
    commandTimeoutMs: Math.max(250, timeoutMs * 4),
  });
  // Give the connection a moment, so the first requests are not served from memory.
  // Not connected in time is not fatal: limits start in memory and /ready says so.
  await primary.connected(opts.connectTimeoutMs ?? 1000);
  const resilient = resilientLimiter(primary, memoryLimiter(), logger, { timeoutMs });
  // Busy subjects under large limits are served from units leased in batches (lease.ts).
  const leased = leasingLimiter(resilient);
  const limiter: ResilientLimiter = {
    ...leased,
    get degraded() {
      return resilient.degraded;
    },
    get fallbacks() {
      return resilient.fallbacks;
    },
    readiness: () => resilient.readiness(),
  };
  return {
    limiter,
    readiness: { name: "ratelimit", check: () => resilient.readiness() },
    close: () => resilient.close?.() ?? Promise.resolve(),
  };
}
