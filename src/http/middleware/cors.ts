/**
 * CORS by allowlist. A request from an origin not on the list gets no CORS
 * headers at all, so the browser blocks it; there is no reflection of arbitrary
 * origins. Credentials are not allowed: Vigil authenticates with bearer tokens,
 * not cookies, so cross-origin cookie sending is never needed.
 */
import type { Context, MiddlewareHandler, Next } from "hono";

const ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS =
  "Authorization, Content-Type, X-API-Key, X-Request-Id, If-Match, If-None-Match, Idempotency-Key";
const EXPOSE_HEADERS =
  "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, ETag, Location";

export function cors(allowed: readonly string[]): MiddlewareHandler {
  const any = allowed.includes("*");
  const set = new Set(allowed);
  // Not async: a request without Origin (most API calls) passes through without a promise of its own.
  return (c, next) => {
    const origin = c.req.header("Origin");
    if (!origin) return next();
    return withOrigin(c, next, origin);
  };

  async function withOrigin(c: Context, next: Next, origin: string): Promise<Response | undefined> {
    const ok = any || set.has(origin);
    const preflight =
      c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method") !== undefined;
    if (ok && preflight) {
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": any ? "*" : origin,
          "Access-Control-Allow-Methods": ALLOW_METHODS,
          "Access-Control-Allow-Headers": ALLOW_HEADERS,
          "Access-Control-Max-Age": "600",
          Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        },
      });
    }
    await next();
    // Caches must not hand one origin's answer to another.
    c.res.headers.append("Vary", "Origin");
    if (!ok) return undefined;
    c.res.headers.set("Access-Control-Allow-Origin", any ? "*" : origin);
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    return undefined;
  }
}
