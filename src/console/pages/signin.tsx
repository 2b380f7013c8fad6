/** Sign-in: email and password, then the six-digit code (or a backup code) when two-factor is on. */
import { Document } from "./layout.tsx";

export function SignInPage(props: { nonce: string; error?: string | undefined; email?: string }) {
  return (
    <Document title="Sign in" nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>Vigil console</h1>
        <p>Sign in with your Vigil account. Admins need two-factor authentication.</p>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/console/sign-in" class="stack">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={props.email} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
      </main>
    </Document>
  );
}

export function TotpPage(props: { nonce: string; error?: string | undefined }) {
  return (
    <Document title="Two-factor code" nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>Two-factor code</h1>
        <p>Enter the six-digit code from your authenticator app, or one of your backup codes.</p>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/console/sign-in/totp" class="stack">
          <label for="code">Code</label>
          <input
            id="code"
            name="code"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            required
            maxlength={32}
          />
          <button type="submit">Verify</button>
        </form>
        <p>
          <a href="/console/sign-in">Start again</a>
        </p>
      </main>
    </Document>
  );
}

export function MessagePage(props: { nonce: string; title: string; message: string; back?: string }) {
  return (
    <Document title={props.title} nonce={props.nonce}>
      <main id="main" class="narrow">
        <h1>{props.title}</h1>
        <p role="alert">{props.message}</p>
        <p>
          <a href={props.back ?? "/console"}>Back</a>
        </p>
      </main>
    </Document>
  );
}
