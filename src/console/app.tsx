/**
 * The console's router. Order: per-response nonce and CSP on everything; the
 * assets and sign-in pages without a session; then every other page behind
 * `requireAuth` reading the session cookie, the console:read permission, and
 * (for admins) two-factor. Errors render as pages: an ended session sends the
 * browser back to sign-in, a refusal shows 403.
 */
import type { MiddlewareHandler } from "hono";
import { hasPermission } from "../access/permissions.ts";
import type { AppDeps } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { randomToken } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { revokeSessions } from "../sessions/commands.ts";
import { sessionById } from "../sessions/session.ts";
import { assetRoutes } from "./assets.ts";
import { checkCsrf, checkOrigin, csrfToken } from "./csrf.ts";
import { type ConsoleContext, type ConsoleEnv, consoleRouter, form } from "./kit.ts";
import { MessagePage } from "./pages/signin.tsx";
import { authRoutes } from "./routes-auth.tsx";
import { ledgerRoutes } from "./routes-ledger.tsx";
import { securityRoutes } from "./routes-security.tsx";
import { tailRoutes } from "./routes-tail.tsx";
import { userRoutes } from "./routes-users.tsx";
import { clearSession, renewIfLow, sessionToken } from "./session.ts";

export const consoleCsp = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; ` +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SIGNED_OUT = new Set(["unauthorized", "token_invalid", "token_expired", "session_revoked"]);

export function consoleApp(appDeps: AppDeps) {
  const deps = requireAuthDeps(appDeps);
  const r = consoleRouter();

  r.use("*", async (c, next) => {
    const nonce = randomToken(16);
    c.set("nonce", nonce);
    await next();
    c.res.headers.set("Content-Security-Policy", consoleCsp(nonce));
  });
  r.route("/assets", assetRoutes());
  r.route("/", authRoutes(deps));

  // Where a state-changing request comes from is checked before anything else:
  // a cross-site post is refused whether or not the browser sent the cookie.
  r.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") checkOrigin(c as never);
    await next();
  });
  const authenticate = requireAuth(deps, { tokenFrom: (c) => sessionToken(c, deps) });
  const signedIn: MiddlewareHandler<ConsoleEnv> = (c, next) =>
    authenticate(c as never, async () => {
      const auth = c.get("auth");
      if (!hasPermission(auth.roles, "console:read")) {
        throw new AppError("forbidden", "This account has no console access");
      }
      if (hasPermission(auth.roles, "security:read") && auth.needsSecondFactor) {
        throw new AppError("mfa_required", "Admins need two-factor authentication to use the console");
      }
      c.set("csrf", await csrfToken(deps, auth.sessionId));
      await renewIfLow(c as never, deps, sessionToken(c as never, deps)!);
      await next();
    });
  r.use("*", signedIn);
  // Every state-changing request: origin check and the session's CSRF token, before any handler runs.
  r.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD")
      await checkCsrf(c as never, deps, (await form(c)).csrf);
    await next();
  });

  r.post("/sign-out", async (c) => {
    const s = await sessionById(deps.db, c.get("auth").sessionId);
    if (s) await revokeSessions(deps, [s], "logout", eventMetadata(c as never));
    clearSession(c as never, deps);
    return c.redirect("/console/sign-in", 303);
  });
  r.route("/", securityRoutes(deps));
  r.route("/", tailRoutes(deps));
  r.route("/", userRoutes(deps));
  r.route("/", ledgerRoutes(deps));

  r.onError((err, c) => renderError(err, c, deps));
  return r;
}

function renderError(
  err: Error,
  c: ConsoleContext,
  deps: ReturnType<typeof requireAuthDeps>,
): Response | Promise<Response> {
  const nonce = c.get("nonce") ?? randomToken(16);
  if (err instanceof AppError && SIGNED_OUT.has(err.code)) {
    clearSession(c as never, deps);
    if (c.req.header("Accept")?.includes("text/event-stream")) return c.body(null, 401);
    return c.redirect("/console/sign-in", 303);
  }
  if (err instanceof AppError) {
    return c.html(
      <MessagePage
        nonce={nonce}
        title={err.status === 403 ? "Not allowed" : err.title}
        message={err.message}
      />,
      err.status as 400,
    );
  }
  c.get("logger")?.error({ err }, "console page failed");
  return c.html(
    <MessagePage
      nonce={nonce}
      title="Something went wrong"
      message={`The page could not be shown. Request id: ${c.get("requestId") ?? "unknown"}`}
    />,
    500,
  );
}
