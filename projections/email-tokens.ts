/**
 * Inline projection `email_tokens`: the single-use tokens emailed for address
 * verification and password reset, by SHA-256 of the token (the token itself
 * is nowhere at rest). A token is `pending` until it is used, or superseded by
 * a newer token of the same purpose, or cancelled because the password changed
 * (an outstanding reset link must not outlive the password it was meant to
 * replace). Expiry is not a state: commands compare `expires_at` with their clock.
 */

import type { Sql } from "../db/client.ts";
import type {
  EmailVerificationRequested,
  EmailVerified,
  PasswordChanged,
  PasswordResetCompleted,
  PasswordResetRequested,
} from "../events/catalog/identity.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type { StoredEvent } from "../events/types.ts";
import type { Projection } from "./types.ts";

export type EmailTokenPurpose = "verify_email" | "password_reset";
export type EmailTokenStatus = "pending" | "used" | "superseded" | "cancelled";

async function issue(sql: Sql, e: StoredEvent, purpose: EmailTokenPurpose) {
  const d = e.data as EventOf<typeof EmailVerificationRequested | typeof PasswordResetRequested>["data"];
  const at = e.recordedAt.toISOString();
  await close(sql, d.userId, purpose, "superseded", at);
  await sql.query(
    `INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at, status, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL)`,
    [d.tokenHash, d.userId, purpose, d.email, at, d.expiresAt],
  );
}

/** Closes every pending token of the user for `purpose`. */
async function close(
  sql: Sql,
  userId: string,
  purpose: EmailTokenPurpose,
  status: EmailTokenStatus,
  at: string,
) {
  await sql.query(
    `UPDATE email_tokens SET status = $3, closed_at = $4
     WHERE user_id = $1 AND purpose = $2 AND status = 'pending'`,
    [userId, purpose, status, at],
  );
}

async function use(sql: Sql, e: StoredEvent, purpose: EmailTokenPurpose) {
  const d = e.data as EventOf<typeof EmailVerified | typeof PasswordResetCompleted>["data"];
  const at = e.recordedAt.toISOString();
  await sql.query(`UPDATE email_tokens SET status = 'used', closed_at = $2 WHERE token_hash = $1`, [
    d.tokenHash,
    at,
  ]);
  await close(sql, d.userId, purpose, "superseded", at);
}

export const emailTokensProjection: Projection = {
  name: "email_tokens",
  mode: "inline",
  eventTypes: [
    "EmailVerificationRequested",
    "EmailVerified",
    "PasswordResetRequested",
    "PasswordResetCompleted",
    "PasswordChanged",
  ],
  tables: ["email_tokens"],
  async apply(sql, e) {
    switch (e.type) {
      case "EmailVerificationRequested":
        return issue(sql, e, "verify_email");
      case "PasswordResetRequested":
        return issue(sql, e, "password_reset");
      case "EmailVerified":
        return use(sql, e, "verify_email");
      case "PasswordResetCompleted":
        return use(sql, e, "password_reset");
      case "PasswordChanged": {
        const d = e.data as EventOf<typeof PasswordChanged>["data"];
        return close(sql, d.userId, "password_reset", "cancelled", e.recordedAt.toISOString());
      }
    }
  },
};
