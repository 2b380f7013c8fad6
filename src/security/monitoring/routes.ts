/**
 * GET /v1/security/metrics, GET /v1/security/lockouts,
 * POST /v1/security/lockouts/{userId}/clear.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ALERT_SEVERITIES } from "../../../events/catalog/security.ts";
import { ConcurrencyError } from "../../../events/errors.ts";
import type { AppDeps } from "../../app.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { reasonText } from "../../http/text.ts";
import { isLocked, userById, userStream } from "../../identity/user.ts";
import { AUTH_PROBLEMS, guards, json, toIso } from "../http.ts";
import { securitySummary } from "./metrics.ts";

const Counts = z.object({
  since: z.string(),
  loginsSucceeded: z.number().int(),
  loginsFailed: z.number().int(),
  lockouts: z.number().int(),
  rateLimited: z.number().int().openapi({ description: "RateLimitExceeded: one per limited key and window" }),
  bans: z.number().int(),
  alertsRaised: z.number().int(),
  eventsAppended: z.number().int(),
});

const SummarySchema = z
  .object({
    at: z.string(),
    hour: Counts,
    day: Counts,
    openAlerts: z.object(Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, z.number().int()]))),
    acknowledgedAlerts: z.number().int(),
    activeSessions: z.number().int(),
    activeBans: z.number().int(),
    lockedAccounts: z.number().int(),
  })
  .openapi("SecurityMetrics");

const LockoutSchema = z
  .object({ userId: z.string(), email: z.string(), lockedUntil: z.string() })
  .openapi("Lockout");

const RETRIES = 3;

export function monitoringRouter(deps: AppDeps) {
  const secured = guards(deps);
  const metricsRoute = createRoute({
    method: "get",
    path: "/security/metrics",
    tags: ["security"],
    summary: "Security counters over the last hour and day, and current state",
    ...secured("GET /v1/security/metrics"),
    responses: { 200: json(SummarySchema, "Counters"), ...AUTH_PROBLEMS },
  });
  const lockoutsRoute = createRoute({
    method: "get",
    path: "/security/lockouts",
    tags: ["security"],
    summary: "Accounts locked now, soonest unlock first",
    ...secured("GET /v1/security/lockouts"),
    responses: {
      200: json(z.object({ lockouts: z.array(LockoutSchema) }), "Locked accounts"),
      ...AUTH_PROBLEMS,
    },
  });
  const clearRoute = createRoute({
    method: "post",
    path: "/security/lockouts/{userId}/clear",
    tags: ["security"],
    summary: "Unlock an account (AccountUnlocked, reason admin)",
    ...secured("POST /v1/security/lockouts/{userId}/clear"),
    request: {
      params: z.object({ userId: z.uuid() }),
      body: {
        required: false,
        content: {
          "application/json": { schema: z.object({ reason: reasonText({ max: 500 }).optional() }) },
        },
      },
    },
    responses: {
      204: { description: "Unlocked" },
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: no such account"),
      409: problemContent("`conflict`: the account is not locked"),
    },
  });

  return createRouter()
    .openapi(metricsRoute, async (c) =>
      c.json(await securitySummary(deps.db, deps.clock.now()), 200, { "Cache-Control": "no-store" }),
    )
    .openapi(lockoutsRoute, async (c) => {
      const rows = await deps.db.query<{ user_id: string; email: string; locked_until: Date | string }>(
        "SELECT user_id, email, locked_until FROM users WHERE locked_until > $1 ORDER BY locked_until, user_id LIMIT 1000",
        [deps.clock.now().toISOString()],
      );
      const lockouts = rows.map((r) => ({
        userId: r.user_id,
        email: r.email,
        lockedUntil: toIso(r.locked_until)!,
      }));
      return c.json({ lockouts }, 200);
    })
    .openapi(clearRoute, async (c) => {
      const { userId } = c.req.valid("param");
      const reason = c.req.valid("json").reason ?? "unlocked by an administrator";
      // Appended at the version the users row holds; a login meanwhile moves it: read again.
      for (let attempt = 0; ; attempt++) {
        const user = await userById(deps.db, userId);
        if (!user) throw new AppError("not_found", "No such account");
        if (!isLocked(user, deps.clock.now())) throw new AppError("conflict", "The account is not locked");
        try {
          await deps.store.append(
            userStream(userId),
            user.version,
            [{ type: "AccountUnlocked", data: { userId, reason: "admin" } }],
            eventMetadata(c, { reason }),
          );
          return c.body(null, 204);
        } catch (err) {
          if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
        }
      }
    });
}
