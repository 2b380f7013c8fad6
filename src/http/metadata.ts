/**
 * Event metadata from the request: who (the authenticated user, or whoever the
 * command names), from where, and under which request. Every command a route
 * runs passes this to the store.
 */
import type { Context } from "hono";
import type { EventMetadata } from "../../events/types.ts";
import type { AppEnv } from "./env.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function eventMetadata(
  c: Context<AppEnv>,
  opts: { actor?: string; reason?: string } = {},
): EventMetadata {
  const requestId = c.get("requestId") ?? null;
  const correlation = c.req.header("X-Correlation-Id");
  const auth = c.get("auth");
  return {
    actor:
      opts.actor ?? (auth ? (auth.apiKey ? `apikey:${auth.apiKey.id}` : `user:${auth.userId}`) : "anonymous"),
    ip: c.get("clientIp")?.slice(0, 64) ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    requestId,
    correlationId: correlation && SANE_ID.test(correlation) ? correlation : requestId,
    causationId: requestId,
    ...(opts.reason === undefined ? {} : { reason: opts.reason }),
  };
}
