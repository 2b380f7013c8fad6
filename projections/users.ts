/**
 * Inline projection `users`: the account state commands read (credentials,
 * lockout, status) and the unique index on lower(email) that refuses a racing
 * duplicate registration by rolling its append back.
 *
 * `version` is the user stream's version after the event, so a command can
 * append at it without replaying the stream. Every event of the stream must
 * therefore pass through here: new identity events (email verification, reset,
 * change, roles, disable) add a case below and their type to USER_STREAM_EVENTS.
 */
import type { Sql } from "../db/client.ts";
import type {
  AccountLocked,
  LoginFailed,
  PasswordChanged,
  PasswordChangeFailed,
  PasswordRehashed,
  PasswordResetCompleted,
  UserRegistered,
} from "../events/catalog/identity.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type { StoredEvent } from "../events/types.ts";
import type { Projection } from "./types.ts";
import { ACCESS_USER_EVENTS, accessUserHandlers } from "./users-access.ts";

/** Event types appended to `user-*` streams, each bumping `users.version`. */
export const USER_STREAM_EVENTS = [
  "UserRegistered",
  "LoginSucceeded",
  "LoginFailed",
  "AccountLocked",
  "AccountUnlocked",
  "PasswordRehashed",
  "EmailVerificationRequested",
  "EmailVerified",
  "PasswordResetRequested",
  "PasswordResetCompleted",
  "PasswordChanged",
  "PasswordChangeFailed",
  ...ACCESS_USER_EVENTS,
] as const;

type Handler = (sql: Sql, e: StoredEvent, userId: string) => Promise<void>;

/** Sets columns and the version; `sets` are SQL fragments over $3, $4 … */
async function update(sql: Sql, e: StoredEvent, userId: string, sets: string[], params: unknown[] = []) {
  const extra = sets.length ? `, ${sets.join(", ")}` : "";
  await sql.query(`UPDATE users SET version = $2${extra} WHERE user_id = $1`, [
    userId,
    e.streamVersion,
    ...params,
  ]);
}

const handlers: Record<(typeof USER_STREAM_EVENTS)[number], Handler> = {
  ...accessUserHandlers,
  async UserRegistered(sql, e) {
    const d = e.data as EventOf<typeof UserRegistered>["data"];
    await sql.query(
      `INSERT INTO users (user_id, email, display_name, roles, status, email_verified, password_hash,
                          failed_logins, locked_until, version, created_at)
       VALUES ($1, $2, $3, $4::text::jsonb, 'active', false, $5, 0, NULL, $6, $7)`,
      [
        d.userId,
        d.email,
        d.displayName,
        JSON.stringify(d.roles),
        d.passwordHash,
        e.streamVersion,
        e.recordedAt.toISOString(),
      ],
    );
  },
  // A success clears the failure count but not a lock: a trusted device may log
  // in through a lock, and the lock must still hold for everyone else.
  LoginSucceeded: (sql, e, id) => update(sql, e, id, ["failed_logins = 0"]),
  async LoginFailed(sql, e, id) {
    const d = e.data as EventOf<typeof LoginFailed>["data"];
    await update(sql, e, id, d.reason === "invalid_password" ? ["failed_logins = failed_logins + 1"] : []);
  },
  async AccountLocked(sql, e, id) {
    const d = e.data as EventOf<typeof AccountLocked>["data"];
    await update(sql, e, id, ["failed_logins = 0", "locked_until = $3"], [d.until]);
  },
  AccountUnlocked: (sql, e, id) => update(sql, e, id, ["failed_logins = 0", "locked_until = NULL"]),
  async PasswordRehashed(sql, e, id) {
    const d = e.data as EventOf<typeof PasswordRehashed>["data"];
    await update(sql, e, id, ["password_hash = $3"], [d.passwordHash]);
  },
  // Token state lives in `email_tokens` (projections/email-tokens.ts); here only the version moves.
  EmailVerificationRequested: (sql, e, id) => update(sql, e, id, []),
  PasswordResetRequested: (sql, e, id) => update(sql, e, id, []),
  EmailVerified: (sql, e, id) => update(sql, e, id, ["email_verified = true"]),
  // A new password starts a clean failure count; a lock is lifted only by AccountUnlocked.
  async PasswordResetCompleted(sql, e, id) {
    const d = e.data as EventOf<typeof PasswordResetCompleted>["data"];
    await update(sql, e, id, ["password_hash = $3", "failed_logins = 0"], [d.passwordHash]);
  },
  async PasswordChanged(sql, e, id) {
    const d = e.data as EventOf<typeof PasswordChanged>["data"];
    await update(sql, e, id, ["password_hash = $3", "failed_logins = 0"], [d.passwordHash]);
  },
  async PasswordChangeFailed(sql, e, id) {
    const d = e.data as EventOf<typeof PasswordChangeFailed>["data"];
    await update(sql, e, id, d.reason === "invalid_password" ? ["failed_logins = failed_logins + 1"] : []);
  },
};

export const usersProjection: Projection = {
  name: "users",
  mode: "inline",
  eventTypes: USER_STREAM_EVENTS,
  tables: ["users"],
  async apply(sql, event) {
    // Failures for unknown emails live in login-unknown-* shards: no account row.
    if (!event.streamId.startsWith("user-")) return;
    const handler = handlers[event.type as (typeof USER_STREAM_EVENTS)[number]];
    await handler(sql, event, event.streamId.slice("user-".length));
  },
};
