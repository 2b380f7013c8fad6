/**
 * Prometheus scrape endpoint. With METRICS_TOKEN set it demands that bearer
 * token (compared in constant time); without it the endpoint is open, which is
 * meant for deployments where /metrics is not routed publicly.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { App, AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { problemContent } from "../http/router.ts";

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
    return c.text(await deps.metrics.render(), 200, { "Content-Type": deps.metrics.contentType });
  });
}
