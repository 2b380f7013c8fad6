/**
 * Pure decisions of the email-token and password flows (given/when/then tested
 * in credentials.test.ts): verifying an address, completing a reset, changing
 * the password. Commands read the user and token rows, decide, and append.
 */
import type { NewEvent } from "../../events/types.ts";
import type { EmailTokenState } from "./email-token.ts";
import { isLocked, type LockoutPolicy, type UserState } from "./user.ts";

/** Pending, of this purpose, unexpired, and issued to the user's current address. */
export function tokenUsable(
  token: EmailTokenState | null,
  purpose: EmailTokenState["purpose"],
  user: UserState | null,
  now: Date,
): token is EmailTokenState {
  return (
    token !== null &&
    user !== null &&
    token.purpose === purpose &&
    token.status === "pending" &&
    token.userId === user.userId &&
    token.email === user.email &&
    token.expiresAt.getTime() > now.getTime()
  );
}

export function decideVerifyEmail(user: UserState, token: EmailTokenState): NewEvent[] {
  return [
    { type: "EmailVerified", data: { userId: user.userId, email: user.email, tokenHash: token.tokenHash } },
  ];
}

/** A reset replaces the password and lifts a running lock (the reset proves control of the mailbox). */
export function decideResetPassword(
  user: UserState,
  token: EmailTokenState,
  passwordHash: string,
  now: Date,
): NewEvent[] {
  const events: NewEvent[] = [
    {
      type: "PasswordResetCompleted",
      data: { userId: user.userId, passwordHash, tokenHash: token.tokenHash, email: user.email },
    },
  ];
  if (isLocked(user, now)) {
    events.push({ type: "AccountUnlocked", data: { userId: user.userId, reason: "password_reset" } });
  }
  return events;
}

export type ChangeOutcome =
  | { kind: "changed" }
  | { kind: "invalid_password"; remainingAttempts: number }
  | { kind: "locked"; until: Date };

/**
 * Changing the password while signed in. A wrong current password counts toward
 * the lockout exactly like a failed login (a stolen session must not become an
 * unlimited password oracle); a locked account cannot change it (reset instead).
 */
export function decideChangePassword(
  user: UserState,
  a: { now: Date; passwordOk: boolean; newPasswordHash: string | null },
  policy: LockoutPolicy,
): { outcome: ChangeOutcome; events: NewEvent[] } {
  const userId = user.userId;
  if (isLocked(user, a.now)) {
    return {
      outcome: { kind: "locked", until: user.lockedUntil! },
      events: [{ type: "PasswordChangeFailed", data: { userId, reason: "account_locked" } }],
    };
  }
  if (!a.passwordOk || !a.newPasswordHash) {
    const failures = user.failedLogins + 1;
    const failed: NewEvent = { type: "PasswordChangeFailed", data: { userId, reason: "invalid_password" } };
    if (failures >= policy.threshold) {
      const until = new Date(a.now.getTime() + policy.lockoutSeconds * 1000);
      return {
        outcome: { kind: "locked", until },
        events: [
          failed,
          {
            type: "AccountLocked",
            data: { userId, until: until.toISOString(), failures, email: user.email },
          },
        ],
      };
    }
    return {
      outcome: { kind: "invalid_password", remainingAttempts: policy.threshold - failures },
      events: [failed],
    };
  }
  return {
    outcome: { kind: "changed" },
    events: [
      { type: "PasswordChanged", data: { userId, passwordHash: a.newPasswordHash, email: user.email } },
    ],
  };
}
