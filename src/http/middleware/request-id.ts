/**
 * Request ids tie a client's report, the access log and the problem body together.
 * An incoming X-Request-Id is kept only when it is short and plain, so a caller
 * cannot inject log-forging text or megabytes through it.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "../env.ts";
import { nodeOutgoing } from "../node-response.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(logger: Logger, newId: () => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : newId();
    c.set("requestId", id);
    c.set("logger", logger.child({ requestId: id }));
    // On Node the id goes on the ServerResponse up front (see node-response.ts); a route's value never replaces it.
    const out = nodeOutgoing(c);
    out?.setHeader("X-Request-Id", id);
    await next();
    if (!out || c.res.headers.has("X-Request-Id")) c.res.headers.set("X-Request-Id", id);
  };
}
