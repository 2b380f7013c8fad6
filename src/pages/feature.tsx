/**
 * The hosted pages that emailed links open, at Vigil's PUBLIC_URL: verify an
 * email, set a new password (also the bootstrap admin link), and what to do with
 * a custody invitation. Opening a page never spends a token: only the page's
 * form, which POSTs to the JSON API, does, so link scanners consume nothing.
 *
 * Each response carries its own CSP nonce (src/pages/csp.ts). HOSTED_PAGES=false
 * leaves the paths unmounted (404) for apps that serve these pages themselves.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Feature } from "../app.ts";
import type { AppEnv } from "../http/env.ts";
import { AcceptInvitationPage } from "./accept-invitation.tsx";
import { PAGES_CSS, PAGES_CSS_PATH, PAGES_JS, PAGES_JS_PATH } from "./assets.ts";
import { newNonce, pageCsp } from "./csp.ts";
import { Layout } from "./layout.tsx";
import { ResetPasswordPage } from "./reset-password.tsx";
import { VerifyEmailPage } from "./verify-email.tsx";

/** Tokens Vigil mails are base64url; anything else cannot be one, so it is not put in the page. */
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

function render(c: Context<AppEnv>, page: (nonce: string) => Child, status: 200 | 400 = 200) {
  const nonce = newNonce();
  return c.html(`<!doctype html>${page(nonce)}`, status, { "Content-Security-Policy": pageCsp(nonce) });
}

function BrokenLink({ nonce, what }: { nonce: string; what: string }) {
  return (
    <Layout title="This link is incomplete" nonce={nonce}>
      <p>{`The ${what} link is missing its token or was cut short. Open the link from the email again, or copy the whole address into the browser.`}</p>
    </Layout>
  );
}

export const pagesFeature: Feature = (app, deps) => {
  if (!deps.config.hostedPages) return;
  const asset = (body: string, type: string) => (c: Context<AppEnv>) =>
    c.body(body, 200, { "Content-Type": `${type}; charset=utf-8`, "Cache-Control": "public, max-age=300" });
  app.get(PAGES_CSS_PATH, asset(PAGES_CSS, "text/css"));
  app.get(PAGES_JS_PATH, asset(PAGES_JS, "text/javascript"));

  app.get("/verify-email", (c) => {
    const token = c.req.query("token") ?? "";
    if (!TOKEN.test(token))
      return render(c, (nonce) => <BrokenLink nonce={nonce} what="verification" />, 400);
    return render(c, (nonce) => <VerifyEmailPage nonce={nonce} token={token} />);
  });
  app.get("/reset-password", (c) => {
    const token = c.req.query("token") ?? "";
    if (!TOKEN.test(token)) return render(c, (nonce) => <BrokenLink nonce={nonce} what="password" />, 400);
    return render(c, (nonce) => <ResetPasswordPage nonce={nonce} token={token} />);
  });
  app.get("/accept-invitation", (c) => render(c, (nonce) => <AcceptInvitationPage nonce={nonce} />));
};
