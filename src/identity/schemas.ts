/** Request and response shapes of the identity endpoints (they also feed /openapi.json). */
import { z } from "@hono/zod-openapi";
import { DEFAULT_POLICY } from "../crypto/password-policy.ts";
import type { UserState } from "./user.ts";

/** Normalised (trimmed, lowercased) before validation: that is the form stored and compared. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email().max(254))
  .openapi({ example: "ada@example.com" });

/**
 * A password being set (register, reset, change). The document states the
 * policy's limits (12–128 characters, counted in Unicode code points as JSON
 * Schema counts them); the policy itself checks them, with the rest of its
 * rules, and answers `password_policy` listing each issue. The validator only
 * refuses an empty one and absurd sizes before hashing.
 */
export const NewPasswordSchema = z
  .string()
  .min(1)
  .max(1024)
  .openapi({
    minLength: DEFAULT_POLICY.minLength,
    maxLength: DEFAULT_POLICY.maxLength,
    description: `${DEFAULT_POLICY.minLength}–${DEFAULT_POLICY.maxLength} characters, not a common password, not your email or name; refused with \`password_policy\` and one issue per rule broken`,
    example: "lantern orchard basalt 77",
  });

/**
 * A password being checked (login, the current password on change). Any
 * non-empty string is checked, so a wrong length is a wrong password (and
 * counts as a failed attempt), never a hint about the account.
 */
export const PasswordSchema = z
  .string()
  .min(1)
  .max(1024)
  .openapi({
    minLength: 1,
    maxLength: DEFAULT_POLICY.maxLength,
    description: `The account's password (passwords are ${DEFAULT_POLICY.minLength}–${DEFAULT_POLICY.maxLength} characters)`,
    example: "correct horse battery staple",
  });

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    emailVerified: z.boolean(),
    roles: z.array(z.string()),
    displayName: z.string().nullable(),
    createdAt: z.string().openapi({ example: "2026-01-01T00:00:00.000Z" }),
  })
  .openapi("User");

export function userBody(u: UserState) {
  return {
    id: u.userId,
    email: u.email,
    emailVerified: u.emailVerified,
    roles: u.roles,
    displayName: u.displayName,
    createdAt: u.createdAt.toISOString(),
  };
}

export const TokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int().openapi({ example: 900 }),
    sessionId: z.uuid(),
  })
  .openapi("TokenPair");

export const LoginResponseSchema = TokenPairSchema.extend({
  deviceToken: z.string().openapi({
    description:
      "Bound to this user. Send it back as `X-Device-Token` on later logins: a lock caused by failures from elsewhere does not apply to it.",
  }),
}).openapi("LoginResponse");

/** The login's answer when two-factor is on: no session yet; POST /v1/auth/mfa/verify completes it. */
export const MfaChallengeSchema = z
  .object({
    mfaRequired: z.literal(true),
    mfaToken: z.string().openapi({ description: "Single use, valid `expiresIn` seconds (300)" }),
    expiresIn: z.number().int().openapi({ example: 300 }),
  })
  .openapi("MfaChallenge");
