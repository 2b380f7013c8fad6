/**
 * Registration. The password is checked against the policy and hashed; the
 * `users` projection's unique index on lower(email) is what refuses a racing
 * duplicate: its violation rolls the UserRegistered append back (409). The
 * first email-verification link is issued in the same append.
 */
import { isUniqueViolation } from "../../db/client.ts";
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { checkPassword } from "../crypto/password-policy.ts";
import { AppError } from "../http/errors.ts";
import { deriveToken } from "./email-token.ts";
import { policyRefusal } from "./password-change.ts";
import { normaliseEmail, type UserState, userById, userStream } from "./user.ts";

export interface RegisterInput {
  email: string;
  password: string;
  displayName?: string | undefined;
}

export const DEFAULT_ROLES = ["user"];

export async function register(
  deps: AuthDeps,
  input: RegisterInput,
  metadata: EventMetadata,
): Promise<UserState> {
  const email = normaliseEmail(input.email);
  const displayName = input.displayName?.trim() || null;
  const policy = checkPassword(input.password, { email, displayName: displayName ?? undefined });
  if (!policy.ok) {
    throw policyRefusal(policy.issues, "password");
  }
  const userId = uuidv7();
  const passwordHash = await deps.auth.passwords.hash(input.password);
  // The first verification link is issued with the account, in the same append.
  const link = await deriveToken(deps, "verify_email");
  try {
    await deps.store.append(
      userStream(userId),
      "no_stream",
      [
        { type: "UserRegistered", data: { userId, email, displayName, roles: DEFAULT_ROLES, passwordHash } },
        {
          type: "EmailVerificationRequested",
          eventId: link.eventId,
          data: { userId, tokenHash: link.tokenHash, expiresAt: link.expiresAt.toISOString(), email },
        },
      ],
      { ...metadata, actor: metadata.actor === "anonymous" ? `user:${userId}` : metadata.actor },
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError("email_taken", "An account with this email already exists", { cause: err });
    }
    throw err;
  }
  const user = await userById(deps.db, userId);
  if (!user) throw new Error(`user ${userId} missing right after registration`);
  return user;
}
