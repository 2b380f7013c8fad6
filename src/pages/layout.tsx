/** The frame every hosted page shares: one stylesheet and one script, both served by Vigil. */
import type { Child } from "hono/jsx";
import { PAGES_CSS_PATH, PAGES_JS_PATH } from "./assets.ts";

export interface LayoutProps {
  title: string;
  nonce: string;
  children?: Child;
}

export function Layout({ title, nonce, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${title} · Vigil`}</title>
        <link rel="stylesheet" href={PAGES_CSS_PATH} />
        <script src={PAGES_JS_PATH} nonce={nonce} defer></script>
      </head>
      <body>
        <main class="card">
          <p class="brand">Vigil</p>
          <h1>{title}</h1>
          {children}
          <noscript>
            <p class="notice error">This page needs JavaScript to send the form to Vigil.</p>
          </noscript>
        </main>
      </body>
    </html>
  );
}

/** Where the page's script reports the API's answer; a live region, so screen readers announce it. */
export function Status() {
  return <div id="status" class="notice" role="status" aria-live="polite" hidden></div>;
}
