/**
 * GET /verify-email?token=…: the page the verification email links to. Opening
 * it changes nothing (mail scanners follow links); the button POSTs the token
 * to POST /v1/auth/email/verify.
 */
import { Layout, Status } from "./layout.tsx";

export function VerifyEmailPage({ nonce, token }: { nonce: string; token: string }) {
  return (
    <Layout title="Confirm your email address" nonce={nonce}>
      <p>Confirm that this email address belongs to you.</p>
      <form
        method="post"
        action="/v1/auth/email/verify"
        data-api="/v1/auth/email/verify"
        data-success="Your email address is confirmed. You can close this page and sign in."
      >
        <input type="hidden" name="token" value={token} />
        <button type="submit">Confirm my email address</button>
      </form>
      <Status />
    </Layout>
  );
}
