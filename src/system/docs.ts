/**
 * /openapi.json (OpenAPI 3.1, generated from the same zod schemas that validate
 * requests) and the docs page. The page gets a CSP of its own that allows only
 * Vigil's own script, stylesheet and fetch; the security-headers middleware
 * keeps a CSP a route has set.
 */
import type { App } from "../app.ts";
import { DOCS_CSS, DOCS_HTML, DOCS_JS } from "./docs-assets.ts";
import { VERSION } from "./version.ts";

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function registerDocs(app: App): void {
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Vigil API",
      version: VERSION,
      description:
        "Event-sourced security backend. Errors are RFC 9457 application/problem+json with a stable `code`.",
    },
  });
  app.get("/docs", (c) => c.html(DOCS_HTML, 200, { "Content-Security-Policy": DOCS_CSP }));
  app.get("/docs/docs.js", (c) =>
    c.body(DOCS_JS, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=300",
    }),
  );
  app.get("/docs/docs.css", (c) =>
    c.body(DOCS_CSS, 200, {
      "Content-Type": "text/css; charset=utf-8",
      "Cache-Control": "public, max-age=300",
    }),
  );
}
