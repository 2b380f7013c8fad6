/**
 * GET /reset-password?token=…: the page a reset email (and the bootstrap admin
 * link of `vigil admin create`) leads to. The form sends the token and the new
 * password to POST /v1/auth/password/reset and shows the policy's own messages.
 */
import { DEFAULT_POLICY } from "../crypto/password-policy.ts";
import { Layout, Status } from "./layout.tsx";

export function ResetPasswordPage({ nonce, token }: { nonce: string; token: string }) {
  const { minLength, maxLength } = DEFAULT_POLICY;
  return (
    <Layout title="Set a new password" nonce={nonce}>
      <form
        method="post"
        action="/v1/auth/password/reset"
        data-api="/v1/auth/password/reset"
        data-success="Your password is set, and every earlier session was signed out. Sign in with the new password."
      >
        <input type="hidden" name="token" value={token} />
        <label for="newPassword">New password</label>
        <input
          id="newPassword"
          name="newPassword"
          type="password"
          autocomplete="new-password"
          required
          minlength={minLength}
          maxlength={maxLength}
          aria-describedby="policy"
        />
        <p id="policy" class="hint">
          {`${minLength} to ${maxLength} characters. A few unrelated words make a good password; common passwords are refused.`}
        </p>
        <label for="confirm">Repeat the new password</label>
        <input
          id="confirm"
          type="password"
          autocomplete="new-password"
          required
          maxlength={maxLength}
          data-same-as="newPassword"
        />
        <button type="submit">Set the password</button>
      </form>
      <Status />
    </Layout>
  );
}
