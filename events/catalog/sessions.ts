/**
 * Sessions: one stream `session-<uuid>` per login, holding its refresh-token
 * family. Tokens appear only as SHA-256 hex; IP and user agent are personal
 * data kept for the owner's session list.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";
import { sealedFrom } from "./personal.ts";

const sessionId = z.uuid();
const userId = z.uuid();
const tokenHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest");

export const SESSION_REVOKE_REASONS = [
  "logout",
  "reuse_detected",
  "evicted",
  "password_reset",
  "password_changed",
  "revoked_by_user",
  "idle_timeout",
  "admin",
  "account_disabled",
] as const;
export type SessionRevokeReason = (typeof SESSION_REVOKE_REASONS)[number];

export const SessionStarted = defineEvent({
  type: "SessionStarted",
  domain: "sessions",
  description: "A session began with its first refresh token (stored hashed).",
  version: 2,
  schema: z.object({
    sessionId,
    userId,
    refreshTokenHash: tokenHash,
    expiresAt: z.iso.datetime(),
    ip: z.string().max(64).nullable(),
    userAgent: z.string().max(512).nullable(),
  }),
  ...sealedFrom(1, ["ip", "userAgent"]),
});

export const RefreshTokenRotated = defineEvent({
  type: "RefreshTokenRotated",
  domain: "sessions",
  description: "A refresh token was used: it is spent and a new one (stored hashed) replaces it.",
  version: 1,
  schema: z.object({
    sessionId,
    userId,
    previousTokenHash: tokenHash,
    refreshTokenHash: tokenHash,
    expiresAt: z.iso.datetime(),
  }),
});

export const RefreshTokenReuseDetected = defineEvent({
  type: "RefreshTokenReuseDetected",
  domain: "sessions",
  description:
    "A spent refresh token was presented again: someone holds a copy. The session (the whole token family) is revoked with it.",
  version: 1,
  schema: z.object({ sessionId, userId, tokenHash }),
});

export const SessionRevoked = defineEvent({
  type: "SessionRevoked",
  domain: "sessions",
  description: "A session ended before it expired; its access tokens are refused at once.",
  version: 1,
  schema: z.object({ sessionId, userId, reason: z.enum(SESSION_REVOKE_REASONS) }),
});

export const sessionEvents = [SessionStarted, RefreshTokenRotated, RefreshTokenReuseDetected, SessionRevoked];
