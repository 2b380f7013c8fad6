/**
 * POST /auth/password/change: the signed-in user replaces their password. The
 * current password is checked (a wrong one counts toward the lockout, like a
 * failed login); the new one meets the policy; every OTHER session of the user
 * is revoked in the same transaction, and outstanding reset links stop working.
 */
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { checkPassword, type PasswordIssue } from "../crypto/password-policy.ts";
import { AppError } from "../http/errors.ts";
import { markRevoked, revokeSessionsIn } from "../sessions/commands.ts";
import { openSessions } from "../sessions/session.ts";
import { decideChangePassword } from "./credentials.ts";
import { refusal } from "./login.ts";
import { userById, userStream } from "./user.ts";

const RETRIES = 5;

/**
 * The current password was wrong: said as such, not as a failed login (the
 * caller is signed in). It still counts toward the lockout, and the remaining
 * attempts are shown once few are left.
 */
function wrongPassword(remainingAttempts: number): AppError {
  return new AppError("wrong_password", "The current password is not correct", {
    errors: [{ path: "body.currentPassword", message: "currentPassword is not your current password" }],
    ext: remainingAttempts <= 3 ? { remainingAttempts } : undefined,
  });
}

/**
 * `password_policy`: one entry per rule broken, in `errors` (the field, the
 * message, and the policy's code such as `password_too_short`), listed once.
 */
export function policyRefusal(issues: readonly PasswordIssue[], field: string): AppError {
  return new AppError("password_policy", "The password does not meet the policy", {
    errors: issues.map((i) => ({ path: `body.${field}`, message: i.message, code: i.code })),
  });
}

export async function changePassword(
  deps: AuthDeps,
  auth: { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
  metadata: EventMetadata,
): Promise<void> {
  const user = await userById(deps.db, auth.userId);
  if (!user) throw new AppError("unauthorized", "The account no longer exists");
  const { passwords } = deps.auth;
  let passwordOk = await passwords.verify(user.passwordHash, input.currentPassword);
  let newPasswordHash: string | null = null;
  if (passwordOk) {
    const policy = checkPassword(input.newPassword, {
      email: user.email,
      displayName: user.displayName ?? undefined,
    });
    if (!policy.ok) {
      throw policyRefusal(policy.issues, "newPassword");
    }
    newPasswordHash = await passwords.hash(input.newPassword);
  }
  const lockout = {
    threshold: deps.config.auth.lockoutThreshold,
    lockoutSeconds: deps.config.auth.lockoutSeconds,
  };

  for (let attempt = 0; ; attempt++) {
    try {
      const result = await deps.db.transaction(async (tx) => {
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [
          userStream(user.userId),
        ]);
        const now = deps.clock.now();
        const state = (await userById(tx, user.userId)) ?? user;
        // Changed or reset meanwhile: the "current" password is the one stored now.
        if (state.passwordHash !== user.passwordHash && passwordOk) {
          passwordOk = await passwords.verify(state.passwordHash, input.currentPassword);
        }
        const { outcome, events } = decideChangePassword(
          state,
          { now, passwordOk, newPasswordHash: passwordOk ? newPasswordHash : null },
          lockout,
        );
        await deps.store.appendIn(tx, userStream(state.userId), state.version, events, metadata);
        if (outcome.kind !== "changed") return { outcome, ended: [] as string[] };
        const others = (await openSessions(tx, state.userId, now)).filter(
          (s) => s.sessionId !== auth.sessionId,
        );
        return { outcome, ended: await revokeSessionsIn(tx, deps, others, "password_changed", metadata) };
      });
      await markRevoked(deps, result.ended);
      if (result.outcome.kind === "changed") return;
      // Committed first: the failure is on record before it is answered.
      if (result.outcome.kind === "invalid_password") throw wrongPassword(result.outcome.remainingAttempts);
      throw refusal(result.outcome, deps.clock.now());
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
    }
  }
}
