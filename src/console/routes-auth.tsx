/**
 * Sign-in and sign-out. The password step is the identity `login` command and
 * the code step is `verifyMfaLogin`, exactly as POST /v1/auth/login and
 * /v1/auth/mfa/verify run them: same lockout, same events, same session. The
 * mfaToken between the two steps lives in a short SameSite=Strict httpOnly
 * cookie, never in the page. An account the console is not for (no console
 * role, or an admin without two-factor) has the session it just started
 * revoked at once, and is told why.
 */
import type { MiddlewareHandler } from "hono";
import { hasPermission } from "../access/permissions.ts";
import { principalsFor } from "../access/principals.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { login } from "../identity/login.ts";
import { MFA_TOKEN_TTL_SECONDS, verifyMfaLogin } from "../mfa/login.ts";
import { banCheck } from "../security/bans/check.ts";
import { limitUnauthenticated } from "../security/ratelimit/policies.ts";
import { revokeSessions } from "../sessions/commands.ts";
import { sessionById } from "../sessions/session.ts";
import { checkOrigin } from "./csrf.ts";
import { type ConsoleContext, consoleRouter, form } from "./kit.ts";
import { SignInPage, TotpPage } from "./pages/signin.tsx";
import { clearMfaToken, clearSession, mfaToken, setMfaToken, setSession } from "./session.ts";

/** Problems a person can act on, in words for the page; anything else is rethrown. */
function messageFor(err: unknown): { status: 400 | 401 | 403 | 423 | 429; text: string } {
  if (!(err instanceof AppError)) throw err;
  const retry = (err.extra.ext?.retryAfter as number | undefined) ?? undefined;
  switch (err.code) {
    case "invalid_credentials": {
      const left = err.extra.ext?.remainingAttempts as number | undefined;
      return {
        status: 401,
        text: `The email or password is incorrect.${left ? ` ${left} attempt(s) left before the account locks.` : ""}`,
      };
    }
    case "account_locked":
      return { status: 423, text: `Too many failed attempts: try again in ${retry ?? "a few"} seconds.` };
    case "mfa_token_invalid":
      return { status: 401, text: "The sign-in expired or was already used. Start again." };
    case "validation_failed":
      return { status: 400, text: "Fill in every field." };
    default:
      if (err.status === 401 || err.status === 403 || err.status === 423 || err.status === 429) {
        return { status: err.status, text: err.message };
      }
      throw err;
  }
}

export function authRoutes(deps: AuthDeps) {
  const metaOf = (c: ConsoleContext) => eventMetadata(c as never);
  const principals = principalsFor(deps);
  const page = (c: ConsoleContext, body: Parameters<ConsoleContext["html"]>[0], status = 200) =>
    c.html(body, status as 200);
  const refuseOrigin: MiddlewareHandler = async (c, next) => {
    checkOrigin(c as never);
    await next();
  };

  /** A session just started: keep it if the console is for this account, else end it and say why. */
  async function admit(c: ConsoleContext, accessToken: string): Promise<Response> {
    const claims = await deps.auth.tokens.verifyAccess(accessToken);
    const p = await principals.get(claims.sub);
    const roles = p?.roles ?? [];
    let refusal: string | null = null;
    if (!hasPermission(roles, "console:read")) {
      refusal = "This account has no console access: it needs the admin, viewer or auditor role.";
    } else if (hasPermission(roles, "security:read") && deps.config.adminRequireMfa && !p?.mfaEnabled) {
      refusal = "Admins need two-factor authentication: turn it on (POST /v1/mfa/totp/setup), then sign in.";
    }
    if (refusal) {
      const s = await sessionById(deps.db, claims.sid);
      if (s) await revokeSessions(deps, [s], "logout", { ...metaOf(c), actor: `user:${claims.sub}` });
      clearSession(c as never, deps);
      return page(c, <SignInPage nonce={c.get("nonce")} error={refusal} />, 403);
    }
    setSession(c as never, deps, accessToken);
    return c.redirect("/console", 303);
  }

  const ip = (c: ConsoleContext) => c.get("clientIp") ?? null;
  const ua = (c: ConsoleContext) => c.req.header("User-Agent")?.slice(0, 512) ?? null;

  return consoleRouter()
    .get("/sign-in", (c) => page(c, <SignInPage nonce={c.get("nonce")} />))
    .post(
      "/sign-in",
      refuseOrigin,
      limitUnauthenticated(deps) as never,
      banCheck(deps) as never,
      async (c) => {
        const f = await form(c);
        const email = (f.email ?? "").slice(0, 254);
        try {
          if (!email || !f.password) throw new AppError("validation_failed", "Fill in every field");
          const result = await login(
            deps,
            { email, password: f.password.slice(0, 1024), ip: ip(c), userAgent: ua(c) },
            metaOf(c),
          );
          if ("mfaRequired" in result) {
            setMfaToken(c as never, deps, result.mfaToken, MFA_TOKEN_TTL_SECONDS);
            return c.redirect("/console/sign-in/totp", 303);
          }
          return admit(c, result.accessToken);
        } catch (err) {
          const m = messageFor(err);
          return page(c, <SignInPage nonce={c.get("nonce")} error={m.text} email={email} />, m.status);
        }
      },
    )
    .get("/sign-in/totp", (c) =>
      mfaToken(c as never, deps)
        ? page(c, <TotpPage nonce={c.get("nonce")} />)
        : c.redirect("/console/sign-in", 303),
    )
    .post("/sign-in/totp", refuseOrigin, limitUnauthenticated(deps) as never, async (c) => {
      const token = mfaToken(c as never, deps);
      if (!token) return c.redirect("/console/sign-in", 303);
      const code = ((await form(c)).code ?? "").replace(/\s+/g, "").slice(0, 32);
      try {
        const proof = /^\d{6}$/.test(code) ? { code } : { backupCode: code };
        const pair = await verifyMfaLogin(
          deps,
          { mfaToken: token, proof, ip: ip(c), userAgent: ua(c) },
          metaOf(c),
        );
        clearMfaToken(c as never, deps);
        return admit(c, pair.accessToken);
      } catch (err) {
        const m = messageFor(err);
        if (err instanceof AppError && err.code === "mfa_token_invalid") clearMfaToken(c as never, deps);
        return page(c, <TotpPage nonce={c.get("nonce")} error={m.text} />, m.status);
      }
    });
}
