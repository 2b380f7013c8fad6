/**
 * The feature folders the entries mount, in order. A feature is
 * `(app, deps) => void` and mounts its routers under /v1, e.g.
 *   export const identity: Feature = (app, deps) => app.route("/v1", identityRouter(deps));
 */
import type { JobRoute } from "../workers/dispatcher.ts";
import type { Feature } from "./app.ts";
import { identityJobRoutes } from "./identity/email-routes.ts";
import { identityFeature } from "./identity/feature.ts";

export const features: Feature[] = [identityFeature];

/** Event → job routes the features contribute (emails, alerts); see workers/dispatcher.ts. */
export const jobRoutes: JobRoute[] = [...identityJobRoutes];
