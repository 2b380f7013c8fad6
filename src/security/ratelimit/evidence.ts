/**
 * RateLimitExceeded evidence. The append is fired, never awaited by the
 * request: a slow or failing database must not turn a 429 into a 500 or make
 * it slow. Failures are logged. `drain()` waits for appends in flight
 * (shutdown, tests).
 */
import type { Context } from "hono";
import type { Logger } from "pino";
import { withoutDeadline } from "../../../db/deadline.ts";
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata } from "../../../events/types.ts";
import type { AppEnv } from "../../http/env.ts";
import type { NamedPolicy } from "./types.ts";

export interface Evidence {
  /** Appends RateLimitExceeded for a first refusal (fire and forget). */
  refused(c: Context<AppEnv>, policy: NamedPolicy, keyHash: string): void;
  drain(): Promise<void>;
}

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function metadata(c: Context<AppEnv>): EventMetadata {
  const requestId = c.get("requestId") ?? null;
  const correlation = c.req.header("X-Correlation-Id");
  const auth = c.get("auth");
  return {
    actor: auth ? `user:${auth.userId}` : "anonymous",
    ip: c.get("clientIp")?.slice(0, 64) ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    requestId,
    correlationId: correlation && SANE_ID.test(correlation) ? correlation : requestId,
    causationId: requestId,
  };
}

export function streamFor(policy: string, keyHash: string): string {
  return `ratelimit-${policy}-${keyHash[0]}`;
}

export function createEvidence(store: EventStore, logger: Logger): Evidence {
  const inFlight = new Set<Promise<unknown>>();
  return {
    refused(c, policy, keyHash) {
      // Fired and forgotten: it outlives the request, so not under its deadline.
      const p = withoutDeadline(() =>
        store.append(
          streamFor(policy.name, keyHash),
          "any",
          [
            {
              type: "RateLimitExceeded",
              data: { policy: policy.name, keyHash, limit: policy.limit, windowMs: policy.windowMs },
            },
          ],
          metadata(c),
        ),
      )
        .catch((err: unknown) => {
          logger.warn({ err, policy: policy.name }, "could not record RateLimitExceeded");
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
