/**
 * Request ids tie a client's report, the access log and the problem body together.
 * An incoming X-Request-Id is kept only when it is short and plain, so a caller
 * cannot inject log-forging text or megabytes through it.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "../env.ts";
import { nodeHead } from "../node-response.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(logger: Logger, newId: () => string): MiddlewareHandler<AppEnv> {
  // Not async: on Node this layer adds no promise of its own to the request.
  return (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && SANE_ID.test(incoming) ? incoming : newId();
    c.set("requestId", id);
    // The child logger is made only when something logs (request-logger.ts).
    c.set("rootLogger", logger);
    // A route's value never replaces it. On Node it joins the head as it is written (node-response.ts).
    const head = nodeHead(c);
    if (head) {
      head.enforce("X-Request-Id", id);
      return next();
    }
    return next().then(() => {
      c.res.headers.set("X-Request-Id", id);
    });
  };
}
