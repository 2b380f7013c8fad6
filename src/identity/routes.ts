/** POST /v1/auth/register, POST /v1/auth/login, GET /v1/auth/me. */
import { createRoute, z } from "@hono/zod-openapi";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { textLine } from "../http/text.ts";
import { limitAuthenticated, limitLogin, limitRegister } from "../security/ratelimit/index.ts";
import { login } from "./login.ts";
import { register } from "./register.ts";
import {
  EmailSchema,
  LoginResponseSchema,
  MfaChallengeSchema,
  NewPasswordSchema,
  PasswordSchema,
  UserSchema,
  userBody,
} from "./schemas.ts";
import { UserCache } from "./user-cache.ts";

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const registerRoute = (deps: AuthDeps) =>
  createRoute({
    method: "post",
    path: "/auth/register",
    middleware: [limitRegister(deps)],
    tags: ["identity"],
    summary: "Create an account",
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({
              email: EmailSchema,
              password: NewPasswordSchema,
              displayName: textLine({ max: 100 }).optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: json(UserSchema, "The account was created"),
      400: problemContent("`validation_failed`, or `password_policy` with the policy's issues"),
      409: problemContent("`email_taken`"),
      429: problemContent("`rate_limited` (10 registrations per hour per IP)"),
    },
  });

const loginRoute = (deps: AuthDeps) =>
  createRoute({
    method: "post",
    path: "/auth/login",
    middleware: [limitLogin(deps)],
    tags: ["identity"],
    summary: "Log in with email and password",
    request: {
      headers: z.object({ "x-device-token": z.string().max(256).optional() }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({ email: EmailSchema, password: PasswordSchema }),
          },
        },
      },
    },
    responses: {
      200: json(
        z.union([LoginResponseSchema, MfaChallengeSchema]),
        "Logged in: a new session; with two-factor on, `{ mfaRequired: true, mfaToken }` for POST /v1/auth/mfa/verify",
      ),
      401: problemContent("`invalid_credentials`, with `remainingAttempts` once 3 or fewer remain"),
      403: problemContent("`account_disabled` or `email_not_verified`"),
      423: problemContent("`account_locked`, with `Retry-After`"),
      429: problemContent("`rate_limited` (5 attempts per minute per account and IP)"),
    },
  });

export function identityRouter(deps: AuthDeps) {
  const auth = requireAuth(deps);
  // Served without a query while the guard's announced version proves the row current (user-cache.ts).
  const users = new UserCache(deps.db, deps.auth.guard, () => deps.clock.now().getTime());
  const meRoute = createRoute({
    method: "get",
    path: "/auth/me",
    tags: ["identity"],
    summary: "The authenticated user",
    middleware: [auth, limitAuthenticated(deps)],
    security: [{ bearerAuth: [] }],
    responses: {
      200: json(UserSchema, "The user behind the access token"),
      401: problemContent("`unauthorized`, `token_invalid`, `token_expired` or `session_revoked`"),
    },
  });

  return createRouter()
    .openapi(registerRoute(deps), async (c) => {
      const body = c.req.valid("json");
      const user = await register(deps, body, eventMetadata(c));
      return c.json(userBody(user), 201, { Location: "/v1/auth/me" });
    })
    .openapi(loginRoute(deps), async (c) => {
      const body = c.req.valid("json");
      const result = await login(
        deps,
        {
          ...body,
          deviceToken: c.req.valid("header")["x-device-token"],
          ip: c.get("clientIp") ?? null,
          userAgent: c.req.header("User-Agent") ?? null,
        },
        eventMetadata(c),
      );
      return c.json(result, 200, { "Cache-Control": "no-store" });
    })
    .openapi(meRoute, async (c) => {
      const { userId, userVersion } = c.get("auth");
      const user = await users.get(userId, userVersion);
      if (!user) throw new AppError("unauthorized", "The account no longer exists");
      return c.json(userBody(user), 200);
    });
}
