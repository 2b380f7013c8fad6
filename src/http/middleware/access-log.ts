/**
 * One access-log line and one metrics observation per request. The route label
 * is the matched pattern (`/v1/users/:id`), never the raw path, so metrics keep a
 * bounded label set; the log records the path without its query string, because
 * query strings can carry tokens (reset links).
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Metrics } from "../../observability/metrics.ts";
import type { AppEnv } from "../env.ts";
import { requestLogger } from "../request-logger.ts";

function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    // Middleware is registered as method ALL; the handler that answered is not.
    if (r && r.method !== "ALL") return r.path;
  }
  return "unmatched";
}

export function accessLog(metrics: Metrics): MiddlewareHandler<AppEnv> {
  // One `then` rather than an async frame: every promise costs more under the deadline's AsyncLocalStorage.
  return (c, next) => {
    const start = performance.now();
    return next().then(
      () => record(c, start),
      (err: unknown) => {
        record(c, start);
        throw err;
      },
    );
  };

  function record(c: Context<AppEnv>, start: number): void {
    const seconds = (performance.now() - start) / 1000;
    const status = c.res.status;
    const route = routeLabel(c);
    metrics.observeRequest(c.req.method, route, status, seconds);
    // The line's object (and the request's child logger) is made only when it will be written.
    if (c.get("rootLogger")?.isLevelEnabled("info")) {
      requestLogger(c)?.info(
        {
          method: c.req.method,
          path: c.req.path,
          route,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
          ip: c.get("clientIp"),
        },
        "request",
      );
    }
  }
}
