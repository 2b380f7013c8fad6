/**
 * Password reset: issuing a reset token (the forgot-password request, and the
 * API other features call: an administrator requiring a reset, the bootstrap
 * admin's set-password link), and redeeming it.
 *
 * - Tokens are single use, 1 h by default (PASSWORD_RESET_TTL_MINUTES), stored
 *   only as SHA-256 (email_tokens); a newer reset token, a completed reset and
 *   a password change each make older ones stop working.
 * - Forgot-password answers 202 with the same body whether or not the address
 *   has an account, and does the same work either way: one token derivation,
 *   one digest, one append (a `PasswordResetRequestIgnored` decoy in a
 *   `reset-unknown-*` shard when there is no usable account).
 * - Completing a reset revokes every session of the user in the same
 *   transaction (the SessionGuard is told right after commit) and lifts a
 *   running lock.
 */
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { type AuthDeps, requireAuthDeps } from "../auth/deps.ts";
import { checkPassword } from "../crypto/password-policy.ts";
import { sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { markRevoked, revokeSessionsIn } from "../sessions/commands.ts";
import { openSessions } from "../sessions/session.ts";
import { decideResetPassword, tokenUsable } from "./credentials.ts";
import {
  emailTokenByHash,
  ignoreEmailRequest,
  invalidToken,
  issueEmailToken,
  presentedToken,
} from "./email-token.ts";
import { policyRefusal } from "./password-change.ts";
import { normaliseEmail, type UserState, userByEmail, userById, userStream } from "./user.ts";

const RETRIES = 5;
/** Bounds on a caller-chosen lifetime (a bootstrap link may live longer than a forgot-password one). */
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Creates a single-use reset token for `userId` and records its hash
 * (`PasswordResetRequested`, which also emails the link to the user). Returns
 * the token so the caller may show or send it; it is not stored anywhere.
 * `reason` is recorded with the event and shown in the email (default
 * `forgot_password`; e.g. `admin_required`, `bootstrap`).
 */
export async function issuePasswordReset(
  deps: AppDeps,
  userId: string,
  metadata: EventMetadata,
  opts: { ttlSeconds?: number; reason?: string } = {},
): Promise<{ token: string; expiresAt: Date }> {
  const d = requireAuthDeps(deps);
  const ttl = opts.ttlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS)) {
    throw new RangeError(`ttlSeconds must be an integer between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS}`);
  }
  const user = await userById(d.db, userId);
  if (!user) throw new AppError("not_found", "No such user");
  const issued = await issueEmailToken(d, user, "password_reset", metadata, {
    ttlSeconds: ttl,
    reason: opts.reason?.slice(0, 200) || undefined,
  });
  return { token: issued.token, expiresAt: issued.expiresAt };
}

/** The link for a reset token: RESET_URL_TEMPLATE, default `<PUBLIC_URL>/reset-password?token={token}`. */
export function resetUrl(deps: Pick<AppDeps, "config">, token: string): string {
  return deps.config.auth.resetUrlTemplate.replaceAll("{token}", encodeURIComponent(token));
}

/** Failures for addresses without a usable account go to one of 16 shards, keyed by a hash. */
export const unknownResetStream = (emailHash: string) => `reset-unknown-${emailHash[0]}`;

/** POST /auth/password/forgot: emails a reset link when the account exists; reveals nothing either way. */
export async function requestPasswordReset(
  deps: AuthDeps,
  rawEmail: string,
  metadata: EventMetadata,
): Promise<void> {
  const email = normaliseEmail(rawEmail);
  const emailHash = sha256Hex(email);
  const user = await userByEmail(deps.db, email);
  if (user && user.status === "active") {
    await issueEmailToken(deps, user, "password_reset", metadata);
    return;
  }
  await ignoreEmailRequest(
    deps,
    "password_reset",
    unknownResetStream(emailHash),
    {
      type: "PasswordResetRequestIgnored",
      data: { emailHash, reason: user ? "account_disabled" : "unknown_email" },
    },
    metadata,
  );
}

/** POST /auth/password/reset: the new password replaces the old; every session ends; a lock lifts. */
export async function completePasswordReset(
  deps: AuthDeps,
  token: string,
  newPassword: string,
  metadata: EventMetadata,
): Promise<UserState> {
  const { tokenHash, row } = await presentedToken(deps.db, token);
  const user = row ? await userById(deps.db, row.userId) : null;
  if (!tokenUsable(row, "password_reset", user, deps.clock.now())) throw invalidToken();
  const policy = checkPassword(newPassword, {
    email: user!.email,
    displayName: user!.displayName ?? undefined,
  });
  if (!policy.ok) {
    throw policyRefusal(policy.issues, "newPassword");
  }
  const passwordHash = await deps.auth.passwords.hash(newPassword);
  const meta = { ...metadata, actor: `user:${user!.userId}` };

  for (let attempt = 0; ; attempt++) {
    try {
      const ended = await deps.db.transaction(async (tx) => {
        // Serialised with the user's logins: none can start a session with the old
        // password after this commits, and none that committed before is missed below.
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [
          userStream(user!.userId),
        ]);
        const now = deps.clock.now();
        const state = await userById(tx, user!.userId);
        const current = await emailTokenByHash(tx, tokenHash);
        // Used by a concurrent reset, superseded, or expired meanwhile: one answer for all.
        if (!state || !tokenUsable(current, "password_reset", state, now)) throw invalidToken();
        await deps.store.appendIn(
          tx,
          userStream(state.userId),
          state.version,
          decideResetPassword(state, current, passwordHash, now),
          meta,
        );
        const sessions = await openSessions(tx, state.userId, now);
        return revokeSessionsIn(tx, deps, sessions, "password_reset", meta);
      });
      await markRevoked(deps, ended);
      return (await userById(deps.db, user!.userId))!;
    } catch (err) {
      // A session changed under us (a refresh, a logout): decide again on what it left.
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
    }
  }
}
