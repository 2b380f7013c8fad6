/**
 * Access control as a feature: API keys, two-factor (and the login's second
 * step), and the admin API. Needs AppDeps.auth (the identity feature's services).
 */
import { adminRouter } from "../admin/routes.ts";
import { apiKeysRouter } from "../api-keys/routes.ts";
import type { Feature } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { mfaRouter } from "../mfa/routes.ts";

export const accessFeature: Feature = (app, appDeps) => {
  const deps = requireAuthDeps(appDeps);
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key (`mk_…`), also accepted as `Authorization: Bearer mk_…`",
  });
  app.route("/v1", apiKeysRouter(deps));
  app.route("/v1", mfaRouter(deps));
  app.route("/v1", adminRouter(deps));
};
