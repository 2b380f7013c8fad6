/**
 * Security headers on every response, errors and 404s included (this runs
 * outside the error handler). The default CSP allows nothing: the API serves
 * JSON, which needs no script, style or frame. A route that serves HTML (the
 * docs page) sets its own narrower-than-default-permissive CSP, which is kept.
 */
import type { MiddlewareHandler } from "hono";
import { nodeOutgoing } from "../node-response.ts";

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

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    const out = nodeOutgoing(c);
    if (out) {
      // On Node, before the route: a route's own CSP or Cache-Control wins when Node writes the head.
      for (const [name, value] of FIXED) out.setHeader(name, value);
      out.setHeader("Content-Security-Policy", API_CSP);
      out.setHeader("Cache-Control", "no-store");
      await next();
      // The fixed ones are not a route's to change: one it set anyway is put back (a few lookups, no writes).
      const h = c.res.headers;
      for (const [name, value] of FIXED) if (h.has(name)) h.set(name, value);
      return;
    }
    await next();
    const h = c.res.headers;
    for (const [name, value] of FIXED) h.set(name, value);
    if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", API_CSP);
    // Responses carry tokens and personal data: no shared or browser caching unless a route opts in.
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  };
}
