/**
 * The page shell: skip link, navigation (aria-current on the open page), the
 * sign-out form, and <main>. One stylesheet and one script, both served by
 * Vigil (src/console/assets.ts); the script tag carries the response's nonce.
 * No inline script and no style attribute anywhere: the CSP allows neither.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { View } from "../view.ts";

export function Document(props: { title: string; nonce: string; children: Child; scripts?: string[] }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${props.title} · Vigil console`}</title>
          <link rel="stylesheet" href="/console/assets/console.css" />
          {(props.scripts ?? ["console.js"]).map((s) => (
            <script nonce={props.nonce} src={`/console/assets/${s}`} defer />
          ))}
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

export function Layout(props: { view: View; title: string; children: Child; scripts?: string[] }) {
  const { view } = props;
  return (
    <Document title={props.title} nonce={view.nonce} scripts={props.scripts}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">Vigil console</p>
        <nav aria-label="Console">
          <ul>
            {view.nav.map((n) => (
              <li>
                <a href={n.href} aria-current={n.href === view.path ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="post" action="/console/sign-out" class="signout">
          <input type="hidden" name="csrf" value={view.csrf} />
          <span class="who">{view.roles.join(", ")}</span>
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main id="main" tabindex={-1}>
        <h1>{props.title}</h1>
        {view.notice ? (
          <p class="notice" role="status">
            {view.notice}
          </p>
        ) : null}
        {props.children}
      </main>
    </Document>
  );
}

/** A state-changing action: CSRF token, a required reason when asked, one button. */
export function ActionForm(props: {
  view: View;
  action: string;
  label: string;
  id: string;
  reason?: "required" | "optional" | "none";
  danger?: boolean;
  children?: Child;
}) {
  const reason = props.reason ?? "required";
  return (
    <form method="post" action={props.action} class="action">
      <input type="hidden" name="csrf" value={props.view.csrf} />
      {props.children}
      {reason === "none" ? null : (
        <span class="field">
          <label for={`${props.id}-reason`}>
            {reason === "required" ? `Reason to ${props.label.toLowerCase()}` : "Note (optional)"}
          </label>
          <input
            id={`${props.id}-reason`}
            name="reason"
            type="text"
            maxlength={500}
            required={reason === "required"}
            autocomplete="off"
          />
        </span>
      )}
      <button
        type="submit"
        class={props.danger ? "danger" : undefined}
        data-confirm={props.danger ? `${props.label}: are you sure?` : undefined}
      >
        {props.label}
      </button>
    </form>
  );
}

export const when = (iso: string | null | undefined) =>
  iso ? (
    <time datetime={iso}>{iso.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>
  ) : (
    <span class="muted">—</span>
  );
