/**
 * Security: evidence of abuse controls at work. Rate-limit refusals go to
 * `ratelimit-<policy>-<hex digit>` (16 shards per policy, so a flood does not
 * serialise on one stream row), at most once per key per window.
 *
 * No personal data in the data: the limited subject (IP, account, user) appears
 * only as `keyHash`, sha256 hex of the limiter's key; the client IP is in the
 * metadata, like every event's.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

export const RateLimitExceeded = defineEvent({
  type: "RateLimitExceeded",
  domain: "security",
  description:
    "A client exhausted a rate-limit policy and was refused with 429. Recorded once per key and window, however many requests were refused; `keyHash` groups refusals of one subject without naming it.",
  version: 1,
  schema: z.object({
    policy: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/),
    keyHash: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest"),
    limit: z.number().int().positive(),
    windowMs: z.number().int().positive(),
  }),
});

export const securityEvents = [RateLimitExceeded];
