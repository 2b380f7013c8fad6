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

/** A banned address: an IPv4 address, or the /64 an IPv6 address belongs to (as limits group them). */
const bannedIp = z.string().min(2).max(64);
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);
export const ALERT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const IpBanned = defineEvent({
  type: "IpBanned",
  domain: "security",
  description:
    "An address was refused on the authentication routes until `until` (403 `ip_banned`), because threat rule `rule` counted `failures` failed logins from it. Stream `ban-<first 32 hex of sha256(ip)>`: the address itself stays out of stream ids.",
  version: 1,
  schema: z.object({
    ip: bannedIp,
    until: z.iso.datetime(),
    failures: z.number().int().positive(),
    rule: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/),
  }),
});

export const IpBanLifted = defineEvent({
  type: "IpBanLifted",
  domain: "security",
  description: "An administrator lifted a ban before it ran out; the actor is in the metadata.",
  version: 1,
  schema: z.object({ ip: bannedIp, reason: z.string().min(1).max(500) }),
});

export const AlertRaised = defineEvent({
  type: "AlertRaised",
  domain: "security",
  description:
    "Threat rule `rule` matched. `alertId` derives from (rule, subject, time bucket), so a rule re-evaluated over the same window raises nothing new; stream `alert-<alertId>`. `subject` names what was attacked or attacking, hashed where it is personal (`ip:<sha256 prefix>`, `email:<sha256 prefix>`), plain for internal ids (`user:<uuid>`, `session:<uuid>`, `global`). `eventIds` are the events that matched.",
  version: 1,
  schema: z.object({
    alertId: hex32,
    rule: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/),
    severity: z.enum(ALERT_SEVERITIES),
    subject: z.string().min(1).max(128),
    summary: z.string().min(1).max(500),
    eventIds: z.array(z.uuid()).min(1).max(200),
  }),
});

const alertNote = z.string().min(1).max(1000).nullable();

export const AlertAcknowledged = defineEvent({
  type: "AlertAcknowledged",
  domain: "security",
  description: "Someone took an open alert in hand; the actor is in the metadata.",
  version: 1,
  schema: z.object({ alertId: hex32, note: alertNote }),
});

export const AlertResolved = defineEvent({
  type: "AlertResolved",
  domain: "security",
  description: "An open or acknowledged alert was closed; the actor is in the metadata.",
  version: 1,
  schema: z.object({ alertId: hex32, note: alertNote }),
});

export const securityEvents = [
  RateLimitExceeded,
  IpBanned,
  IpBanLifted,
  AlertRaised,
  AlertAcknowledged,
  AlertResolved,
];
