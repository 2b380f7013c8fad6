/**
 * Prometheus scrape endpoint. With METRICS_TOKEN set it demands that bearer
 * token (compared in constant time); without it the endpoint is open, which
 * only development allows (production refuses to start without a token).
 *
 * A scrape is cheap whatever the rate: its own per-IP limit (RATE_LIMIT_METRICS_PER_MINUTE)
 * is checked before anything else, the security gauges are read from the
 * database at most once per METRICS_CACHE_SECONDS, and concurrent scrapes
 * share one rendering of the registry.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { App, AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { problemContent } from "../http/router.ts";
import { limitMetrics } from "../security/ratelimit/policies.ts";

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["system"],
  summary: "Prometheus metrics",
  security: [{ metricsToken: [] }],
  responses: {
    200: {
      description: "Prometheus text exposition format",
      content: { "text/plain": { schema: z.string() } },
    },
    401: problemContent("METRICS_TOKEN is configured and the bearer token is missing or wrong"),
    429: problemContent(
      "`rate_limited`: this address scraped more than its budget (RATE_LIMIT_METRICS_PER_MINUTE)",
    ),
  },
});

function constantTimeEqual(a: string, b: string): boolean {
  const enc = new TextEncoder();
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function registerMetrics(app: App, deps: AppDeps): void {
  const token = deps.config.metricsToken;
  let rendering: Promise<string> | undefined;
  const render = () => {
    rendering ??= deps.metrics.render().finally(() => {
      rendering = undefined;
    });
    return rendering;
  };
  app.use("/metrics", limitMetrics(deps));
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
  });
  app.openapi(metricsRoute, async (c) => {
    if (token !== undefined) {
      const given = /^Bearer (.+)$/i.exec(c.req.header("Authorization") ?? "")?.[1] ?? "";
      if (!constantTimeEqual(given, token)) {
        throw new AppError("unauthorized", "A valid metrics bearer token is required", {
          headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
        });
      }
    }
    return c.text(await render(), 200, { "Content-Type": deps.metrics.contentType });
  });
}
