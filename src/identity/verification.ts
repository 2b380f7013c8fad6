/**
 * Email verification. A link (24 h by default, EMAIL_VERIFICATION_TTL_HOURS) is
 * issued at registration and on request; only the newest one works (issuing a
 * link supersedes the user's earlier unused ones), and it works once.
 */
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { sha256Hex } from "../crypto/random.ts";
import { decideVerifyEmail, tokenUsable } from "./credentials.ts";
import { ignoreEmailRequest, invalidToken, issueEmailToken, presentedToken } from "./email-token.ts";
import { normaliseEmail, type UserState, userByEmail, userById, userStream } from "./user.ts";

const RETRIES = 3;

/** The link for a verification token: VERIFY_URL_TEMPLATE, default `<PUBLIC_URL>/verify-email?token={token}`. */
export function verifyUrl(deps: Pick<AppDeps, "config">, token: string): string {
  return deps.config.auth.verifyUrlTemplate.replaceAll("{token}", encodeURIComponent(token));
}

/** Sends a fresh link unless the address is already verified; says which. */
export async function requestVerification(
  deps: AuthDeps,
  user: UserState,
  metadata: EventMetadata,
): Promise<"sent" | "already_verified"> {
  if (user.emailVerified) return "already_verified";
  await issueEmailToken(deps, user, "verify_email", metadata);
  return "sent";
}

/** Requests that send nothing go to one of 16 shards, keyed by a hash of the email. */
export const unknownVerifyStream = (emailHash: string) => `verify-unknown-${emailHash[0]}`;

/**
 * The unauthenticated resend (login refuses unverified users when verification
 * is required). Like forgot-password, it does the same work whether or not a
 * link is sent (one token derivation, one digest, one append), so its timing
 * tells nothing about the address: no account, a disabled one and a verified
 * one each record `EmailVerificationRequestIgnored` instead.
 */
export async function resendVerification(deps: AuthDeps, rawEmail: string, metadata: EventMetadata) {
  const email = normaliseEmail(rawEmail);
  const emailHash = sha256Hex(email);
  const user = await userByEmail(deps.db, email);
  if (user && user.status === "active" && !user.emailVerified) {
    await issueEmailToken(deps, user, "verify_email", metadata);
    return;
  }
  const reason = !user ? "unknown_email" : user.status !== "active" ? "account_disabled" : "already_verified";
  await ignoreEmailRequest(
    deps,
    "verify_email",
    unknownVerifyStream(emailHash),
    { type: "EmailVerificationRequestIgnored", data: { emailHash, reason } },
    metadata,
  );
}

export async function verifyEmail(
  deps: AuthDeps,
  token: string,
  metadata: EventMetadata,
): Promise<UserState> {
  for (let attempt = 0; ; attempt++) {
    const { row } = await presentedToken(deps.db, token);
    const user = row ? await userById(deps.db, row.userId) : null;
    if (!tokenUsable(row, "verify_email", user, deps.clock.now())) throw invalidToken();
    try {
      await deps.store.append(userStream(user!.userId), user!.version, decideVerifyEmail(user!, row), {
        ...metadata,
        actor: `user:${user!.userId}`,
      });
      return (await userById(deps.db, user!.userId))!;
    } catch (err) {
      // The user stream moved (a login, or this very token used concurrently): look again.
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
    }
  }
}
