/**
 * Puts the client address on the context. The direct peer comes from the
 * server adapter through `peerAddress` (Node: the socket; Deno: Deno.serve's
 * remoteAddr; tests: whatever they pass as the env of `app.request`).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { resolveClientIp, trustMatcher } from "../ip.ts";

export type PeerAddress = (c: Context) => string | undefined;

/** Reads the peer from the env shapes of @hono/node-server and of the Deno entry. */
export const defaultPeerAddress: PeerAddress = (c) => {
  const env = c.env as
    | { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } }
    | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname;
};

export function clientIp(trustedProxies: readonly string[], peer: PeerAddress): MiddlewareHandler<AppEnv> {
  const isTrusted = trustMatcher(trustedProxies);
  // Not async: nothing to do afterwards, so no promise of its own (each costs more under the deadline's AsyncLocalStorage).
  return (c, next) => {
    c.set("clientIp", resolveClientIp(peer(c), c.req.header("X-Forwarded-For"), isTrusted));
    return next();
  };
}
