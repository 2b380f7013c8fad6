/**
 * POST /v1/auth/email/verification (authenticated), /auth/email/verification/resend,
 * /auth/email/verify, /auth/password/forgot, /auth/password/reset,
 * /auth/password/change (authenticated).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { limitAuthenticated, limitEmailSends } from "../security/ratelimit/index.ts";
import { changePassword } from "./password-change.ts";
import { completePasswordReset, requestPasswordReset } from "./password-reset.ts";
import { EmailSchema, NewPasswordSchema, PasswordSchema, UserSchema, userBody } from "./schemas.ts";
import { userById } from "./user.ts";
import { requestVerification, resendVerification, verifyEmail } from "./verification.ts";

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <S extends z.ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

const TokenSchema = z.string().min(1).max(256).openapi({ example: "q3W1…(43 characters)" });
const AcceptedSchema = z.object({ status: z.literal("accepted"), detail: z.string() }).openapi("Accepted");
const UNAUTHORIZED = problemContent("`unauthorized`, `token_invalid`, `token_expired` or `session_revoked`");
const INVALID_TOKEN = problemContent(
  "`invalid_token`: unknown, expired, already used or superseded (one code for all), or `validation_failed`",
);
const RATE_LIMITED = problemContent("`rate_limited`, with `Retry-After`");

/** The one answer to forgot-password and resend, whatever the address. */
const ACCEPTED = (what: string) => ({
  status: "accepted" as const,
  detail: `If an account exists for this address, ${what} has been sent to it.`,
});

export function credentialRouter(deps: AuthDeps) {
  const auth = requireAuth(deps);
  const perUser = limitAuthenticated(deps);
  const secured = { security: [{ bearerAuth: [] }] };

  const requestVerificationRoute = createRoute({
    method: "post",
    path: "/auth/email/verification",
    tags: ["identity"],
    summary: "Email a fresh verification link to the signed-in user",
    description: "Earlier unused links stop working. Links live 24 h (EMAIL_VERIFICATION_TTL_HOURS).",
    middleware: [auth, perUser, limitEmailSends(deps, (c) => c.get("auth")?.userId ?? null)],
    ...secured,
    responses: {
      202: json(
        z.object({ status: z.enum(["sent", "already_verified"]) }),
        "A link was sent (or none was needed)",
      ),
      401: UNAUTHORIZED,
      429: RATE_LIMITED,
    },
  });
  const resendRoute = createRoute({
    method: "post",
    path: "/auth/email/verification/resend",
    tags: ["identity"],
    summary: "Email a fresh verification link, without signing in",
    description:
      "For users who cannot sign in before verifying (REQUIRE_EMAIL_VERIFICATION). Same answer whether or not the account exists.",
    middleware: [limitEmailSends(deps)],
    request: body(z.object({ email: EmailSchema })),
    responses: { 202: json(AcceptedSchema, "Accepted"), 429: RATE_LIMITED },
  });
  const verifyRoute = createRoute({
    method: "post",
    path: "/auth/email/verify",
    tags: ["identity"],
    summary: "Confirm an email address with the token from the link",
    request: body(z.object({ token: TokenSchema })),
    responses: { 200: json(UserSchema, "Verified"), 400: INVALID_TOKEN },
  });
  const forgotRoute = createRoute({
    method: "post",
    path: "/auth/password/forgot",
    tags: ["identity"],
    summary: "Email a password-reset link",
    description: "Always 202 with the same body, and the same work, whether or not the account exists.",
    middleware: [limitEmailSends(deps)],
    request: body(z.object({ email: EmailSchema })),
    responses: { 202: json(AcceptedSchema, "Accepted"), 429: RATE_LIMITED },
  });
  const resetRoute = createRoute({
    method: "post",
    path: "/auth/password/reset",
    tags: ["identity"],
    summary: "Set a new password with a reset token",
    description: "Revokes every session of the user and lifts a lockout. Tokens live 1 h and work once.",
    request: body(z.object({ token: TokenSchema, newPassword: NewPasswordSchema })),
    responses: {
      200: json(z.object({ status: z.literal("password_reset") }), "The password was replaced"),
      400: problemContent("`invalid_token`, `password_policy` or `validation_failed`"),
    },
  });
  const changeRoute = createRoute({
    method: "post",
    path: "/auth/password/change",
    tags: ["identity"],
    summary: "Change the password of the signed-in user",
    description:
      "Revokes every other session. A wrong current password counts toward the lockout like a failed login.",
    middleware: [auth, perUser],
    ...secured,
    request: body(z.object({ currentPassword: PasswordSchema, newPassword: NewPasswordSchema })),
    responses: {
      200: json(z.object({ status: z.literal("password_changed") }), "Changed"),
      400: problemContent(
        "`wrong_password` (the current password is not correct; it counts toward the lockout, `remainingAttempts` shown from 3), `password_policy` or `validation_failed`",
      ),
      401: problemContent("`unauthorized`, `token_invalid`, `token_expired` or `session_revoked`"),
      423: problemContent("`account_locked`, with `Retry-After`"),
    },
  });

  return createRouter()
    .openapi(requestVerificationRoute, async (c) => {
      const user = await userById(deps.db, c.get("auth").userId);
      if (!user) throw new AppError("unauthorized", "The account no longer exists");
      return c.json({ status: await requestVerification(deps, user, eventMetadata(c)) }, 202);
    })
    .openapi(resendRoute, async (c) => {
      await resendVerification(deps, c.req.valid("json").email, eventMetadata(c));
      return c.json(ACCEPTED("a verification link"), 202);
    })
    .openapi(verifyRoute, async (c) => {
      const user = await verifyEmail(deps, c.req.valid("json").token, eventMetadata(c));
      return c.json(userBody(user), 200);
    })
    .openapi(forgotRoute, async (c) => {
      await requestPasswordReset(deps, c.req.valid("json").email, eventMetadata(c));
      return c.json(ACCEPTED("a password-reset link"), 202);
    })
    .openapi(resetRoute, async (c) => {
      const { token, newPassword } = c.req.valid("json");
      await completePasswordReset(deps, token, newPassword, eventMetadata(c));
      return c.json({ status: "password_reset" as const }, 200, { "Cache-Control": "no-store" });
    })
    .openapi(changeRoute, async (c) => {
      await changePassword(deps, c.get("auth"), c.req.valid("json"), eventMetadata(c));
      return c.json({ status: "password_changed" as const }, 200);
    });
}
