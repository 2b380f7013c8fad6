/**
 * The security feature: the ban check on the authentication routes, the admin
 * ban API, alerts, the monitoring API, and the security gauges on /metrics.
 * Mounted before identity (src/features.ts): Hono runs handlers in the order
 * they were added, so the ban check must be in place before the auth routes.
 */
import type { Feature } from "../app.ts";
import { declareAnswers } from "../http/answers.ts";
import { alertsRouter } from "./alerts/routes.ts";
import { banCheck } from "./bans/check.ts";
import { bansRouter } from "./bans/routes.ts";
import { eventsRouter } from "./monitoring/events.ts";
import { registerSecurityGauges, securitySummary } from "./monitoring/metrics.ts";
import { monitoringRouter } from "./monitoring/routes.ts";

/** Login, registration, refresh, logout, password and email-token routes. */
export const BANNED_PATHS = "/v1/auth/*";

export const securityFeature: Feature = (app, deps) => {
  // Tagged so /openapi.json declares the 403 `ip_banned` on these routes.
  app.use(BANNED_PATHS, declareAnswers(banCheck(deps), { statuses: [403] }));
  app.route("/v1", bansRouter(deps));
  app.route("/v1", alertsRouter(deps));
  app.route("/v1", eventsRouter(deps));
  app.route("/v1", monitoringRouter(deps));
  registerSecurityGauges(
    deps.metrics,
    () => securitySummary(deps.db, deps.clock.now()),
    (err) => deps.logger.warn({ err }, "could not read the security gauges"),
    { intervalMs: deps.config.metricsCacheMs },
  );
};
