/**
 * The user aggregate: state as the `users` projection keeps it, and the pure
 * decisions of registration and password login (given/when/then tested in
 * user.test.ts). Commands read the row, decide, and append at `version`.
 */
import type { Sql } from "../../db/client.ts";
import type { NewEvent } from "../../events/types.ts";
import { mfaEnabledIn } from "../mfa/state.ts";

export interface UserState {
  userId: string;
  email: string;
  displayName: string | null;
  roles: string[];
  status: "active" | "disabled";
  emailVerified: boolean;
  passwordHash: string;
  failedLogins: number;
  lockedUntil: Date | null;
  /** The user stream's version: append at it. */
  version: number;
  createdAt: Date;
}

export const userStream = (userId: string) => `user-${userId}`;

/** Trim + lowercase: the form stored, compared and made unique. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

interface UserRow {
  user_id: string;
  email: string;
  display_name: string | null;
  roles: string[];
  status: "active" | "disabled";
  email_verified: boolean;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | string | null;
  version: number;
  created_at: Date | string;
}

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function fromRow(r: UserRow): UserState {
  return {
    userId: r.user_id,
    email: r.email,
    displayName: r.display_name,
    roles: r.roles,
    status: r.status,
    emailVerified: r.email_verified,
    passwordHash: r.password_hash,
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until === null ? null : toDate(r.locked_until),
    version: Number(r.version),
    createdAt: toDate(r.created_at),
  };
}

const COLUMNS =
  "user_id, email, display_name, roles, status, email_verified, password_hash, failed_logins, locked_until, version, created_at";

export async function userByEmail(sql: Sql, email: string): Promise<UserState | null> {
  const rows = await sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = $1`, [
    normaliseEmail(email),
  ]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function userById(sql: Sql, userId: string): Promise<UserState | null> {
  const rows = await sql.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = $1`, [userId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/**
 * SEAM (MFA): true when the user has a second factor enrolled (the `mfa`
 * projection, src/mfa/state.ts); login then answers `{ mfaRequired, mfaToken }`
 * instead of starting a session (src/identity/login.ts). Read through the
 * login's transaction, which holds the user stream row.
 */
export function hasMfa(sql: Sql, user: UserState): Promise<boolean> {
  return mfaEnabledIn(sql, user.userId);
}

export interface LockoutPolicy {
  threshold: number;
  lockoutSeconds: number;
}

export interface LoginPolicy extends LockoutPolicy {
  requireEmailVerification: boolean;
}

export function isLocked(user: UserState, now: Date): boolean {
  return user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime();
}

export interface LoginAttempt {
  now: Date;
  /** The password matched (not checked, hence false, while the account is locked). */
  passwordOk: boolean;
  /** A valid device token for this user: a lock does not apply to it. */
  deviceTrusted: boolean;
  sessionId: string;
  emailHash: string;
  /** A fresh hash when the stored one uses old parameters. */
  rehashed: string | null;
}

export type LoginOutcome = { kind: "success" } | Refusal;

export type Refusal =
  | { kind: "invalid_password"; remainingAttempts: number }
  | { kind: "locked"; until: Date }
  | { kind: "disabled" }
  | { kind: "email_not_verified" };

export interface LoginDecision {
  outcome: LoginOutcome;
  events: NewEvent[];
}

/** What one password login does to the user stream. */
export function decideLogin(user: UserState, a: LoginAttempt, policy: LoginPolicy): LoginDecision {
  const failed = (reason: string): NewEvent => ({
    type: "LoginFailed",
    data: { userId: user.userId, emailHash: a.emailHash, reason },
  });
  if (isLocked(user, a.now) && !a.deviceTrusted) {
    return { outcome: { kind: "locked", until: user.lockedUntil! }, events: [failed("account_locked")] };
  }
  if (!a.passwordOk) {
    const failures = user.failedLogins + 1;
    if (failures >= policy.threshold) {
      const until = new Date(a.now.getTime() + policy.lockoutSeconds * 1000);
      return {
        outcome: { kind: "locked", until },
        events: [
          failed("invalid_password"),
          {
            type: "AccountLocked",
            data: { userId: user.userId, until: until.toISOString(), failures, email: user.email },
          },
        ],
      };
    }
    return {
      outcome: { kind: "invalid_password", remainingAttempts: policy.threshold - failures },
      events: [failed("invalid_password")],
    };
  }
  if (user.status === "disabled")
    return { outcome: { kind: "disabled" }, events: [failed("account_disabled")] };
  if (policy.requireEmailVerification && !user.emailVerified) {
    return { outcome: { kind: "email_not_verified" }, events: [failed("email_not_verified")] };
  }
  const events: NewEvent[] = [
    {
      type: "LoginSucceeded",
      data: {
        userId: user.userId,
        sessionId: a.sessionId,
        deviceTrusted: a.deviceTrusted,
        email: user.email,
      },
    },
  ];
  if (a.rehashed)
    events.push({ type: "PasswordRehashed", data: { userId: user.userId, passwordHash: a.rehashed } });
  return { outcome: { kind: "success" }, events };
}

/** The decoy for emails without an account: counts and locks like decideLogin, from a counter. */
export function decideUnknownLogin(failuresBefore: number, now: Date, policy: LockoutPolicy): Refusal {
  const failures = failuresBefore + 1;
  if (failures >= policy.threshold) {
    return { kind: "locked", until: new Date(now.getTime() + policy.lockoutSeconds * 1000) };
  }
  return { kind: "invalid_password", remainingAttempts: policy.threshold - failures };
}
