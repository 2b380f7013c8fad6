/**
 * Identity: accounts, credentials, login results and lockout. Stream
 * `user-<uuid>`; failures for emails that match no account go to
 * `login-unknown-<hex digit>` (16 shards) carrying only a hash of the email.
 *
 * No secrets: passwords appear only as PHC hashes. Personal data (email) is in
 * `UserRegistered`, and in `LoginSucceeded` / `AccountLocked` so the job routes
 * that notify the owner can address the mail from the event alone.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";
import { sealedFrom } from "./personal.ts";

const userId = z.uuid();
/** sha256 hex of the normalised email: lets auditors group failures without the address. */
const emailHash = z.string().regex(/^[0-9a-f]{64}$/);
/** A PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash): the hash, never the password. */
const passwordHash = z
  .string()
  .min(20)
  .max(512)
  .regex(/^\$[a-z0-9-]+\$/, "must be a PHC string");
const email = z.email().max(254);

export const ROLE = z.string().regex(/^[a-z][a-z0-9_:-]{0,63}$/);

export const UserRegistered = defineEvent({
  type: "UserRegistered",
  domain: "identity",
  description: "An account was created with a password (stored as an argon2id PHC hash).",
  version: 2,
  schema: z.object({
    userId,
    email,
    displayName: z.string().min(1).max(100).nullable(),
    roles: z.array(ROLE).min(1).max(32),
    passwordHash,
  }),
  ...sealedFrom(1, ["email", "displayName"]),
});

export const LoginSucceeded = defineEvent({
  type: "LoginSucceeded",
  domain: "identity",
  description:
    "A password login succeeded and started session `sessionId`; `deviceTrusted` when the client presented a valid device token. `email` addresses the new-sign-in notice.",
  version: 2,
  schema: z.object({ userId, sessionId: z.uuid(), deviceTrusted: z.boolean(), email }),
  ...sealedFrom(1, ["email"]),
});

export const LOGIN_FAILURE_REASONS = [
  "invalid_password",
  "unknown_email",
  "account_locked",
  "account_disabled",
  "email_not_verified",
] as const;

export const LoginFailed = defineEvent({
  type: "LoginFailed",
  domain: "identity",
  description:
    "A login attempt was refused. `userId` is null for emails that match no account (then the event is in a `login-unknown-*` shard).",
  version: 1,
  schema: z.object({ userId: userId.nullable(), emailHash, reason: z.enum(LOGIN_FAILURE_REASONS) }),
});

export const AccountLocked = defineEvent({
  type: "AccountLocked",
  domain: "identity",
  description:
    "Too many consecutive password failures: password logins are refused until `until` (except from a trusted device).",
  version: 2,
  schema: z.object({ userId, until: z.iso.datetime(), failures: z.number().int().positive(), email }),
  ...sealedFrom(1, ["email"]),
});

export const AccountUnlocked = defineEvent({
  type: "AccountUnlocked",
  domain: "identity",
  description: "A lock was lifted before it ran out (admin, password reset).",
  version: 1,
  schema: z.object({ userId, reason: z.enum(["admin", "password_reset"]) }),
});

export const PasswordRehashed = defineEvent({
  type: "PasswordRehashed",
  domain: "identity",
  description: "The password hash was upgraded to the current parameters at login.",
  version: 1,
  schema: z.object({ userId, passwordHash }),
});

/** SHA-256 hex of a single-use email token: the token itself is never in the log. */
const tokenHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest");

export const EmailVerificationRequested = defineEvent({
  type: "EmailVerificationRequested",
  domain: "identity",
  description:
    "A single-use verification link was issued for `email`. Only the token's hash is recorded; the emailed token is derived from this event's id with a server key (src/identity/link-tokens.ts). Earlier unused verification links of the user stop working.",
  version: 2,
  schema: z.object({ userId, tokenHash, expiresAt: z.iso.datetime(), email }),
  ...sealedFrom(1, ["email"]),
});

export const EmailVerified = defineEvent({
  type: "EmailVerified",
  domain: "identity",
  description: "The owner proved control of `email` with the verification token whose hash is `tokenHash`.",
  version: 2,
  schema: z.object({ userId, email, tokenHash }),
  ...sealedFrom(1, ["email"]),
});

export const PasswordResetRequested = defineEvent({
  type: "PasswordResetRequested",
  domain: "identity",
  description:
    "A single-use password-reset token was issued (the user asked, or an administrator required it: `reason`). Only its hash is recorded; earlier unused reset tokens of the user stop working.",
  version: 2,
  schema: z.object({
    userId,
    tokenHash,
    expiresAt: z.iso.datetime(),
    email,
    reason: z.string().min(1).max(200),
  }),
  ...sealedFrom(1, ["email"]),
});

export const PasswordResetRequestIgnored = defineEvent({
  type: "PasswordResetRequestIgnored",
  domain: "identity",
  description:
    "A password reset was asked for an email with no usable account; nothing was sent. Recorded (in a `reset-unknown-*` shard, with only a hash of the email) so the request costs what a real one costs and auditors see enumeration attempts.",
  version: 1,
  schema: z.object({ emailHash, reason: z.enum(["unknown_email", "account_disabled"]) }),
});

export const EmailVerificationRequestIgnored = defineEvent({
  type: "EmailVerificationRequestIgnored",
  domain: "identity",
  description:
    "A verification link was asked (without signing in) for an email with no account, a disabled one, or one already verified; nothing was sent. Recorded (in a `verify-unknown-*` shard, with only a hash of the email) so the request costs what a real one costs and auditors see enumeration attempts.",
  version: 1,
  schema: z.object({ emailHash, reason: z.enum(["unknown_email", "account_disabled", "already_verified"]) }),
});

export const PasswordResetCompleted = defineEvent({
  type: "PasswordResetCompleted",
  domain: "identity",
  description:
    "The password was replaced through the reset token `tokenHash`; every session of the user is revoked with it.",
  version: 2,
  schema: z.object({ userId, passwordHash, tokenHash, email }),
  ...sealedFrom(1, ["email"]),
});

export const PasswordChanged = defineEvent({
  type: "PasswordChanged",
  domain: "identity",
  description:
    "The signed-in user changed their password (the current one was checked); their other sessions are revoked.",
  version: 2,
  schema: z.object({ userId, passwordHash, email }),
  ...sealedFrom(1, ["email"]),
});

export const PasswordChangeFailed = defineEvent({
  type: "PasswordChangeFailed",
  domain: "identity",
  description:
    "A password change was refused because the current password was wrong (counts toward the lockout like a failed login) or the account is locked.",
  version: 1,
  schema: z.object({ userId, reason: z.enum(["invalid_password", "account_locked"]) }),
});

export const identityEvents = [
  UserRegistered,
  LoginSucceeded,
  LoginFailed,
  AccountLocked,
  AccountUnlocked,
  PasswordRehashed,
  EmailVerificationRequested,
  EmailVerified,
  PasswordResetRequested,
  PasswordResetRequestIgnored,
  PasswordResetCompleted,
  PasswordChanged,
  PasswordChangeFailed,
  EmailVerificationRequestIgnored,
];
