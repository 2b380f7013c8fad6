/**
 * Liveness and readiness. /health answers as long as the process can serve a
 * request (restart me if not); /ready checks the database and every injected
 * dependency (take me out of the load balancer if not). Failure reasons are
 * logged, not returned: they can carry hostnames or driver messages.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { App, AppDeps, ReadinessCheck } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { requestLogger } from "../http/request-logger.ts";
import { problemContent } from "../http/router.ts";
import { API_VERSION, VERSION } from "./version.ts";

const CHECK_TIMEOUT_MS = 2000;

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness",
  responses: {
    200: {
      description: "The process is up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  tags: ["system"],
  summary: "Readiness: database and dependencies reachable",
  responses: {
    200: {
      description: "Ready to serve",
      content: {
        "application/json": {
          schema: z.object({
            status: z.literal("ready"),
            // `degraded`: working on a fallback (e.g. rate limits in memory while Redis is away).
            checks: z.record(z.string(), z.enum(["ok", "degraded"])),
          }),
          example: { status: "ready", checks: { database: "ok", redis: "ok", ratelimit: "degraded" } },
        },
      },
    },
    503: problemContent("A dependency is unreachable; the problem's `failed` lists which"),
  },
});

const versionRoute = createRoute({
  method: "get",
  path: "/v1",
  tags: ["system"],
  summary: "API version",
  responses: {
    200: {
      description: "Version information",
      content: {
        "application/json": {
          schema: z.object({ name: z.literal("vigil"), version: z.string(), api: z.literal("v1") }),
        },
      },
    },
  },
});

async function withTimeout(check: ReadinessCheck): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealth(app: App, deps: AppDeps): void {
  const checks: ReadinessCheck[] = [
    {
      name: "database",
      check: async () => {
        await deps.db.query("select 1");
      },
    },
    ...deps.readiness,
  ];

  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));

  app.openapi(readyRoute, async (c) => {
    const results = await Promise.allSettled(checks.map(withTimeout));
    const failed = checks.filter((_, i) => results[i]?.status === "rejected").map((ch) => ch.name);
    if (failed.length > 0) {
      results.forEach((r, i) => {
        if (r.status === "rejected")
          (requestLogger(c) ?? deps.logger).warn({ err: r.reason, check: checks[i]?.name }, "not ready");
      });
      throw new AppError("service_unavailable", `Not ready: ${failed.join(", ")} unreachable`, {
        ext: { failed },
        headers: { "Retry-After": "5" },
      });
    }
    const states = checks.map((ch, i) => {
      const r = results[i];
      return [ch.name, r?.status === "fulfilled" && r.value === "degraded" ? "degraded" : "ok"] as const;
    });
    return c.json({ status: "ready" as const, checks: Object.fromEntries(states) }, 200);
  });

  app.openapi(versionRoute, (c) =>
    c.json({ name: "vigil" as const, version: VERSION, api: API_VERSION }, 200),
  );
}
