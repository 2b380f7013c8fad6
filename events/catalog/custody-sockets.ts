/**
 * Custody WebSocket connections (`/v1/custody/ws`): one stream
 * `custodyws-<connection uuid>` per connection attempt. They feed the
 * guardian-connections and socket-authentication threat rules and let an
 * auditor see who was connected when. Tokens never appear, only their outcome;
 * the client address is in the metadata, as for every event.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

const connectionId = z.uuid();
const userId = z.uuid();
const sessionId = z.uuid();

export const SOCKET_AUTH_FAILURE_REASONS = [
  "token_invalid",
  "token_expired",
  "session_revoked",
  "account_disabled",
  "forbidden",
  "auth_timeout",
] as const;

export const GuardianSocketOpened = defineEvent({
  type: "GuardianSocketOpened",
  domain: "custody",
  description: "A user authenticated on the custody WebSocket and holds one of their connection slots.",
  version: 1,
  schema: z.object({ connectionId, userId, sessionId }),
});

export const GuardianSocketClosed = defineEvent({
  type: "GuardianSocketClosed",
  domain: "custody",
  description: "An authenticated custody WebSocket closed, with its close code and reason.",
  version: 1,
  schema: z.object({
    connectionId,
    userId,
    code: z.number().int().min(0).max(4999),
    reason: z.string().max(123),
  }),
});

export const GuardianSocketRefused = defineEvent({
  type: "GuardianSocketRefused",
  domain: "custody",
  description:
    "A user already holding the maximum number of custody WebSocket connections tried another: refused. `expiresAt` bounds how long the threat rule counts the attempt as open.",
  version: 1,
  schema: z.object({
    connectionId,
    userId,
    sessionId,
    open: z.number().int().min(0).max(1000),
    max: z.number().int().min(1).max(100),
    expiresAt: z.iso.datetime(),
  }),
});

export const SocketAuthenticationFailed = defineEvent({
  type: "SocketAuthenticationFailed",
  domain: "custody",
  description:
    "A custody WebSocket failed to authenticate (bad, expired or revoked token, no permission, or no `auth` in time) and was closed. `userId` only when a valid token named the user.",
  version: 1,
  schema: z.object({
    connectionId,
    userId: userId.nullable(),
    reason: z.enum(SOCKET_AUTH_FAILURE_REASONS),
  }),
});

export const custodySocketEvents = [
  GuardianSocketOpened,
  GuardianSocketClosed,
  GuardianSocketRefused,
  SocketAuthenticationFailed,
];
