/**
 * POST /v1/mfa/totp/setup, /v1/mfa/totp/enable, /v1/mfa/totp/disable,
 * /v1/mfa/backup-codes/regenerate (a logged-in session; disable and regenerate
 * also a login within 5 minutes), and POST /v1/auth/mfa/verify (the login's
 * second step). Answers carrying secrets or codes are `Cache-Control: no-store`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { limitCaller } from "../access/limits.ts";
import { guard } from "../access/route-table.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth, requireRecentLogin } from "../auth/middleware.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { LoginResponseSchema } from "../identity/schemas.ts";
import { disableTotp, enableTotp, regenerateBackupCodes, setupTotp } from "./commands.ts";
import { verifyMfaLogin } from "./login.ts";
import type { Proof } from "./state.ts";

const Code = z
  .string()
  .regex(/^\d{6}$/, "six digits")
  .openapi({ example: "492039" });
const ProofSchema = z
  .object({ code: Code.optional(), backupCode: z.string().min(16).max(32).optional() })
  .refine((b) => (b.code === undefined) !== (b.backupCode === undefined), {
    message: "send exactly one of code and backupCode",
  });
const BackupCodesSchema = z
  .object({ backupCodes: z.array(z.string()).openapi({ example: ["7K3M-Q9XA-2ZRT-H4PD"] }) })
  .openapi("BackupCodes");
const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <S extends z.ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});
const CODE_ERRORS = {
  401: problemContent("`mfa_code_invalid` (with `remainingAttempts`), or not authenticated"),
  429: problemContent("`rate_limited`: 5 wrong codes within 15 minutes, with `Retry-After`"),
};
const NO_STORE = { "Cache-Control": "no-store" };
const proof = (b: { code?: string | undefined; backupCode?: string | undefined }): Proof =>
  b.code !== undefined ? { code: b.code } : { backupCode: b.backupCode! };

export function mfaRouter(deps: AuthDeps) {
  const base = [requireAuth(deps), limitCaller(deps)];
  const recent = requireRecentLogin(deps, 300);
  const security = [{ bearerAuth: [] }];

  const setup = createRoute({
    method: "post",
    path: "/mfa/totp/setup",
    tags: ["mfa"],
    summary: "Start TOTP setup: a new secret, its otpauth:// URI and a QR code (SVG)",
    middleware: [...base, guard("POST /v1/mfa/totp/setup")],
    security,
    responses: {
      200: json(
        z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() }).openapi("TotpSetup"),
        "Scan the QR code (or type the secret), then confirm with POST /v1/mfa/totp/enable within 15 minutes",
      ),
      409: problemContent("`mfa_already_enabled`"),
    },
  });
  const enable = createRoute({
    method: "post",
    path: "/mfa/totp/enable",
    tags: ["mfa"],
    summary: "Confirm setup with a current code: two-factor on, 10 backup codes (shown once)",
    middleware: [...base, guard("POST /v1/mfa/totp/enable")],
    security,
    request: body(z.object({ code: Code })),
    responses: {
      200: json(BackupCodesSchema, "Two-factor is on"),
      ...CODE_ERRORS,
      409: problemContent("`mfa_already_enabled` or `mfa_setup_required`"),
    },
  });
  const disable = createRoute({
    method: "post",
    path: "/mfa/totp/disable",
    tags: ["mfa"],
    summary: "Turn two-factor off (a current code or a backup code, and a login within 5 minutes)",
    middleware: [...base, guard("POST /v1/mfa/totp/disable"), recent],
    security,
    request: body(ProofSchema),
    responses: {
      204: { description: "Two-factor is off" },
      ...CODE_ERRORS,
      409: problemContent("`mfa_not_enabled`"),
    },
  });
  const regenerate = createRoute({
    method: "post",
    path: "/mfa/backup-codes/regenerate",
    tags: ["mfa"],
    summary: "Replace the backup codes (a current code, and a login within 5 minutes)",
    middleware: [...base, guard("POST /v1/mfa/backup-codes/regenerate"), recent],
    security,
    request: body(ProofSchema),
    responses: {
      200: json(BackupCodesSchema, "The new codes; the old ones no longer work"),
      ...CODE_ERRORS,
      409: problemContent("`mfa_not_enabled`"),
    },
  });
  const verify = createRoute({
    method: "post",
    path: "/auth/mfa/verify",
    tags: ["identity", "mfa"],
    summary: "The login's second step: the mfaToken and a TOTP code or a backup code",
    request: body(z.object({ mfaToken: z.string().min(1).max(128) }).and(ProofSchema)),
    responses: {
      200: json(LoginResponseSchema, "Logged in: a new session"),
      401: problemContent("`mfa_token_invalid` or `mfa_code_invalid` (with `remainingAttempts`)"),
      403: problemContent("`account_disabled`"),
      429: CODE_ERRORS[429],
    },
  });

  return createRouter()
    .openapi(setup, async (c) =>
      c.json(await setupTotp(deps, c.get("auth").userId, eventMetadata(c)), 200, NO_STORE),
    )
    .openapi(enable, async (c) => {
      const result = await enableTotp(deps, c.get("auth").userId, c.req.valid("json").code, eventMetadata(c));
      return c.json(result, 200, NO_STORE);
    })
    .openapi(disable, async (c) => {
      await disableTotp(deps, c.get("auth").userId, proof(c.req.valid("json")), eventMetadata(c));
      return c.body(null, 204);
    })
    .openapi(regenerate, async (c) => {
      const result = await regenerateBackupCodes(
        deps,
        c.get("auth").userId,
        proof(c.req.valid("json")),
        eventMetadata(c),
      );
      return c.json(result, 200, NO_STORE);
    })
    .openapi(verify, async (c) => {
      const b = c.req.valid("json");
      const result = await verifyMfaLogin(
        deps,
        {
          mfaToken: b.mfaToken,
          proof: proof(b),
          ip: c.get("clientIp") ?? null,
          userAgent: c.req.header("User-Agent") ?? null,
        },
        eventMetadata(c),
      );
      return c.json(result, 200, NO_STORE);
    });
}
