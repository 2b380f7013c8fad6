/**
 * GET /v1/security/metrics, GET /v1/security/lockouts,
 * POST /v1/security/lockouts/{userId}/clear.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ALERT_SEVERITIES } from "../../../events/catalog/security.ts";
import { unlockUser } from "../../admin/commands.ts";
import type { AppDeps } from "../../app.ts";
import { requireAuthDeps } from "../../auth/deps.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { reasonText } from "../../http/text.ts";
import { isLocked } from "../../identity/user.ts";
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

/** No-op rule: the account's lockout state after the action, and whether it changed. */
const ClearedSchema = z
  .object({
    userId: z.string(),
    locked: z.boolean(),
    lockedUntil: z.string().nullable(),
    failedLogins: z.number().int(),
    changed: z.boolean().openapi({ description: "false: nothing to clear; nothing was recorded" }),
  })
  .openapi("LockoutCleared");

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
    summary: "Unlock an account (AccountUnlocked, reason admin); with nothing to clear, changes nothing",
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
      200: json(
        ClearedSchema,
        "The lockout state after the action; `changed: false` when nothing was locked",
      ),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: no such account"),
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
      // The same command as POST /admin/users/{id}/unlock: one rule for both routes.
      const { user, changed } = await unlockUser(requireAuthDeps(deps), userId, eventMetadata(c, { reason }));
      const locked = isLocked(user, deps.clock.now());
      return c.json(
        {
          userId,
          locked,
          lockedUntil: locked ? toIso(user.lockedUntil) : null,
          failedLogins: user.failedLogins,
          changed,
        },
        200,
      );
    });
}
