/**
 * The feature folders the entries mount, in order. A feature is
 * `(app, deps) => void` and mounts its routers under /v1, e.g.
 *   export const identity: Feature = (app, deps) => app.route("/v1", identityRouter(deps));
 */
import type { JobRoute } from "../workers/dispatcher.ts";
import type { Mailer } from "../workers/email.ts";
import type { JobHandler, JobQueue } from "../workers/queue.ts";
import { accessFeature } from "./access/feature.ts";
import type { AppDeps, Feature } from "./app.ts";
import { exportJobRoutes, exportsFeature, exportsJobHandlers } from "./audit/exports/feature.ts";
import { auditFeature } from "./audit/feature.ts";
import { consoleFeature } from "./console/feature.ts";
import { custodyFeature } from "./custody/feature.ts";
import { custodyJobHandlers, custodyJobRoutes } from "./custody/jobs.ts";
import { custodySocketFeature } from "./custody/ws/route.ts";
import { governanceFeature } from "./governance/feature.ts";
import { governanceJobHandlers, governanceJobRoutes } from "./governance/jobs.ts";
import { identityJobHandlers, identityJobRoutes } from "./identity/email-routes.ts";
import { identityFeature } from "./identity/feature.ts";
import { pagesFeature } from "./pages/feature.tsx";
import { securityFeature } from "./security/feature.ts";
import { securityJobHandlers, securityJobRoutes } from "./security/threats/jobs.ts";

// Security first: its ban check on /v1/auth/* must be added before the auth routes.
export const features: Feature[] = [
  securityFeature,
  identityFeature,
  accessFeature,
  custodyFeature,
  custodySocketFeature,
  governanceFeature,
  auditFeature,
  exportsFeature,
  pagesFeature,
  consoleFeature,
];

/** Event → job routes the features contribute (emails, alerts); see workers/dispatcher.ts. */
export const jobRoutes: JobRoute[] = [
  ...identityJobRoutes,
  ...securityJobRoutes,
  ...custodyJobRoutes,
  ...governanceJobRoutes,
  ...exportJobRoutes,
];

/** Job handlers beyond `email.send` that the features' routes need, by job name. */
export function jobHandlers(deps: AppDeps, mailer: Mailer, queue: JobQueue): Record<string, JobHandler> {
  return {
    ...identityJobHandlers(deps, mailer),
    ...securityJobHandlers({ ...deps, queue }),
    ...custodyJobHandlers(deps, mailer),
    ...governanceJobHandlers(deps, queue),
    ...exportsJobHandlers(deps),
  };
}
