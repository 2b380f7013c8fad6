/**
 * Single-use email tokens (verification links, password resets): issuing one
 * appends its request event to the user stream with a pre-chosen event id, from
 * which the token is derived (src/crypto/link-tokens.ts); only SHA-256(token)
 * is recorded. Redeeming looks the hash up in `email_tokens`.
 */
import type { Sql } from "../../db/client.ts";
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import type { EmailTokenPurpose, EmailTokenStatus } from "../../projections/email-tokens.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { userStream } from "./user.ts";

export interface EmailTokenState {
  tokenHash: string;
  userId: string;
  purpose: EmailTokenPurpose;
  email: string;
  expiresAt: Date;
  status: EmailTokenStatus;
}

interface Row {
  token_hash: string;
  user_id: string;
  purpose: EmailTokenPurpose;
  email: string;
  expires_at: Date | string;
  status: EmailTokenStatus;
}

/** Tokens are base64url of 32 bytes: anything else is refused without a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export async function emailTokenByHash(sql: Sql, tokenHash: string): Promise<EmailTokenState | null> {
  const rows = await sql.query<Row>(
    "SELECT token_hash, user_id, purpose, email, expires_at, status FROM email_tokens WHERE token_hash = $1",
    [tokenHash],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    tokenHash: r.token_hash,
    userId: r.user_id,
    purpose: r.purpose,
    email: r.email,
    expiresAt: r.expires_at instanceof Date ? r.expires_at : new Date(r.expires_at),
    status: r.status,
  };
}

/** The presented token's row (any state), or null when it cannot be one of ours. */
export async function presentedToken(
  sql: Sql,
  token: string,
): Promise<{ tokenHash: string; row: EmailTokenState | null }> {
  if (!TOKEN_SHAPE.test(token)) return { tokenHash: "", row: null };
  const tokenHash = sha256Hex(token);
  return { tokenHash, row: await emailTokenByHash(sql, tokenHash) };
}

/** Unknown, expired, used, superseded and other users' tokens all get this one answer. */
export const invalidToken = () =>
  new AppError("invalid_token", "The link or token is invalid or has expired; request a new one");

export interface IssuedToken {
  token: string;
  tokenHash: string;
  expiresAt: Date;
  eventId: string;
}

/** The token an issue would make, without recording it (for equal work on decoy paths). */
export async function deriveToken(deps: AuthDeps, purpose: EmailTokenPurpose): Promise<IssuedToken> {
  const eventId = uuidv7();
  const token = await deps.auth.links.derive(purpose, eventId);
  const ttl =
    purpose === "verify_email"
      ? deps.config.auth.emailVerificationTtlSeconds
      : deps.config.auth.passwordResetTtlSeconds;
  return {
    token,
    tokenHash: sha256Hex(token),
    expiresAt: new Date(deps.clock.now().getTime() + ttl * 1000),
    eventId,
  };
}

/**
 * The decoy for a request that sends nothing (no such account, or nothing to
 * send): the same token derivation and digest a real issue costs, then an
 * append of similar size to a shard stream, so the answer takes as long
 * whether or not the account exists.
 */
export async function ignoreEmailRequest(
  deps: AuthDeps,
  purpose: EmailTokenPurpose,
  shard: string,
  event: NewEvent,
  metadata: EventMetadata,
): Promise<void> {
  await deriveToken(deps, purpose);
  await deps.store.append(shard, "any", [event], metadata);
}

/** Issues a token for `user` (earlier pending ones of the purpose stop working). */
export async function issueEmailToken(
  deps: AuthDeps,
  user: { userId: string; email: string },
  purpose: EmailTokenPurpose,
  metadata: EventMetadata,
  opts: { ttlSeconds?: number; reason?: string } = {},
): Promise<IssuedToken> {
  const issued = await deriveToken(deps, purpose);
  if (opts.ttlSeconds !== undefined) {
    issued.expiresAt = new Date(deps.clock.now().getTime() + opts.ttlSeconds * 1000);
  }
  const base = {
    userId: user.userId,
    tokenHash: issued.tokenHash,
    expiresAt: issued.expiresAt.toISOString(),
    email: user.email,
  };
  const event =
    purpose === "verify_email"
      ? { type: "EmailVerificationRequested", data: base, eventId: issued.eventId }
      : {
          type: "PasswordResetRequested",
          data: { ...base, reason: opts.reason ?? "forgot_password" },
          eventId: issued.eventId,
        };
  // "any": issuing depends on no state of the stream, and queues behind a login holding its row.
  await deps.store.append(userStream(user.userId), "any", [event], metadata);
  return issued;
}
