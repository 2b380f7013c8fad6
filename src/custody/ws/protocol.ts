/**
 * The custody WebSocket protocol (`/v1/custody/ws`, subprotocol `vigil.custody.v1`):
 * the frames a client may send, the frames the server sends, the stable error
 * codes of error frames and the close codes. docs/custody.md ("The WebSocket protocol") is the
 * reference for clients; this file is the one place the codes are defined.
 *
 * Every frame is one JSON object with a `type`. A client request may carry an
 * `id` (string up to 64 characters or an integer); the answer (`result` or
 * `error`) echoes it, so a client can match answers to requests.
 */
import { z } from "zod";

export const SUBPROTOCOL = "vigil.custody.v1";
/** `Sec-WebSocket-Protocol: vigil.custody.v1, vigil.bearer.<access token>`: the header form of `auth`. */
export const BEARER_PROTOCOL_PREFIX = "vigil.bearer.";

/** Why the server closed the socket. 1000–1015 are the standard codes; 4000–4999 are Vigil's. */
export const CLOSE_CODES = {
  /** The server is shutting down; reconnect (to another instance). */
  going_away: 1001,
  /** A frame beyond the hard size cap (the transport closes at once, no error frame). */
  message_too_big: 1009,
  /** Two heartbeats went unanswered. */
  heartbeat_timeout: 4000,
  /** No valid `auth` message in time after the socket opened. */
  auth_timeout: 4001,
  /** Repeated malformed, oversized, unknown or too frequent messages. */
  policy_violation: 4002,
  /** The account may not use custody (no custody:read or custody:sign permission). */
  forbidden: 4003,
  /** The guardian already holds the maximum number of connections. */
  too_many_connections: 4009,
  /** The access token is not valid (signature, issuer, audience, malformed). */
  token_invalid: 4010,
  /** The access token expired and no fresh one arrived in time. */
  token_expired: 4011,
  /** The session was revoked (logout, eviction, password change, reuse, admin). */
  session_revoked: 4012,
  /** The account was disabled. */
  account_disabled: 4013,
} as const;

export type CloseReason = keyof typeof CLOSE_CODES;

/** Stable codes of protocol errors (error frames). Command errors reuse Vigil's problem codes. */
export const PROTOCOL_ERRORS = {
  /** Not JSON, not an object, or no string `type`. */
  malformed_message: "The message is not a JSON object with a string `type`",
  /** Binary frames carry nothing in this protocol. */
  binary_not_supported: "Binary frames are not accepted; send JSON text",
  message_too_large: "The message is larger than the limit",
  rate_limited: "Too many messages; slow down",
  unknown_type: "Unknown message type",
  /** The message has the right type but wrong fields (see `errors`). */
  validation_failed: "The message failed validation",
  not_authenticated: "Send an `auth` message first",
  /** A fresh token in `auth` must belong to the same user as the connection. */
  identity_mismatch: "The token belongs to another user than this connection",
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS;

/** Abuse: these count as strikes; too many in a window closes with policy_violation. */
export const STRIKE_CODES: ReadonlySet<string> = new Set<ProtocolErrorCode>([
  "malformed_message",
  "binary_not_supported",
  "message_too_large",
  "rate_limited",
  "unknown_type",
  "validation_failed",
  "not_authenticated",
  "identity_mismatch",
]);

const requestId = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);

/** What every client frame shares; the rest is read by the frame's own schema. */
export const envelopeSchema = z.looseObject({ type: z.string().min(1).max(64), id: requestId.optional() });

export type Envelope = z.infer<typeof envelopeSchema>;

/** `{"type":"auth","token":"<access token>"}`: first message, or later with a fresh token. */
export const authSchema = z.strictObject({
  type: z.literal("auth"),
  id: requestId.optional(),
  token: z.string().min(1).max(4096),
});

/** `{"type":"ping"}` from the client (application-level keep-alive): answered by `pong`. */
export const pingSchema = z.strictObject({ type: z.literal("ping"), id: requestId.optional() });
/** `{"type":"pong"}`: the answer to a server `ping` frame, for clients without protocol pings. */
export const pongSchema = z.strictObject({ type: z.literal("pong"), id: requestId.optional() });

export interface ErrorFrame {
  type: "error";
  id?: string | number;
  code: string;
  detail: string;
  /** For command errors: the HTTP status the same problem has over REST. */
  status?: number;
  errors?: { path: string; message: string }[];
  [ext: string]: unknown;
}

export interface ReadyFrame {
  type: "ready";
  id?: string | number;
  connectionId: string;
  userId: string;
  sessionId: string;
  /** When the access token expires; send `auth` with a fresh one before then. */
  tokenExpiresAt: string;
  limits: { maxMessageBytes: number; messagesPerSecond: number; heartbeatSeconds: number };
}

/** A round event of a vault the user guards, read from the log. */
export interface PushFrame {
  type: "event";
  /** What happened, in the protocol's words (commitments_wanted, signing_package_ready, …). */
  event: string;
  /** The log event this push is about: a client may receive one twice (deduplicate by it). */
  eventId: string;
  eventType: string;
  vaultId: string | null;
  transactionId: string | null;
  recordedAt: string;
  data: unknown;
}

export const errorFrame = (
  code: string,
  detail: string,
  id?: string | number,
  extra: Partial<ErrorFrame> = {},
): ErrorFrame => ({ type: "error", ...(id === undefined ? {} : { id }), code, detail, ...extra });
