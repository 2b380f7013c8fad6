/**
 * Security headers on every response, errors and 404s included (this runs
 * outside the error handler). The default CSP allows nothing: the API serves
 * JSON, which needs no script, style or frame. A route that serves HTML (the
 * docs page) sets its own narrower-than-default-permissive CSP, which is kept.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { headPreset, nodeHead } from "../node-response.ts";

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const HEADERS: Record<string, string> = {
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy":
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Permitted-Cross-Domain-Policies": "none",
  "Origin-Agent-Cluster": "?1",
};

const FIXED = Object.entries(HEADERS);

// A route's own CSP or Cache-Control wins; the fixed ones are not a route's to change.
const PRESET = headPreset([
  ...FIXED.map(([name, value]) => ({ name, value, rule: "enforce" as const })),
  { name: "Content-Security-Policy", value: API_CSP, rule: "default" },
  { name: "Cache-Control", value: "no-store", rule: "default" },
]);

export function securityHeaders(): MiddlewareHandler {
  // Not async: on Node this layer adds no promise of its own to the request.
  return (c, next) => {
    const head = nodeHead(c);
    if (head) {
      // On Node, merged as the head is written (node-response.ts). Nothing to do afterwards.
      head.preset(PRESET);
      return next();
    }
    return setOnResponse(c, next);
  };
}

/** Elsewhere (Deno, app.request): on the Response, once the route has answered. */
async function setOnResponse(c: Context, next: Next): Promise<void> {
  await next();
  const h = c.res.headers;
  for (const [name, value] of FIXED) h.set(name, value);
  if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", API_CSP);
  // Responses carry tokens and personal data: no shared or browser caching unless a route opts in.
  if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
}
