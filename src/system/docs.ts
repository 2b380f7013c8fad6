/**
 * /openapi.json (OpenAPI 3.1, generated from the same zod schemas that validate
 * requests, then completed from the mounted handlers: src/http/openapi.ts) and
 * the docs page, rendered on the server from that document (docs-page.tsx).
 * The page gets a CSP of its own that allows only Vigil's own script and
 * stylesheet; the security-headers middleware keeps a CSP a route has set.
 */
import type { App } from "../app.ts";
import { completeDocument } from "../http/openapi.ts";
import { DOCS_CSS, DOCS_JS } from "./docs-assets.ts";
import { renderDocsPage } from "./docs-page.ts";
import { VERSION } from "./version.ts";

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INFO = {
  openapi: "3.1.0",
  info: {
    title: "Vigil API",
    version: VERSION,
    description:
      "Event-sourced security backend. Errors are RFC 9457 application/problem+json with a stable `code`.",
  },
};

/** The complete document of this app. Built on first use: every feature is mounted by then. */
export function openApiDocument(app: App): Record<string, unknown> {
  return completeDocument(app.getOpenAPI31Document(INFO) as unknown as Record<string, unknown>, app.routes);
}

export function registerDocs(app: App): void {
  let doc: Record<string, unknown> | undefined;
  let page: string | undefined;
  const document = () => {
    doc ??= openApiDocument(app);
    return doc;
  };
  app.get("/openapi.json", (c) => c.json(document()));
  app.get("/docs", (c) => {
    page ??= renderDocsPage(document());
    return c.html(page, 200, { "Content-Security-Policy": DOCS_CSP });
  });
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
