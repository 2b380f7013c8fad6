/**
 * The identity feature: registration, login, /auth/me, email verification,
 * password reset and change, and the JWKS (this folder and src/auth), sessions and refresh (src/sessions). Needs AppDeps.auth.
 */
import type { Feature } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { jwksRouter } from "../auth/jwks.ts";
import { sessionsRouter } from "../sessions/routes.ts";
import { credentialRouter } from "./credential-routes.ts";
import { identityRouter } from "./routes.ts";

export const identityFeature: Feature = (app, appDeps) => {
  const deps = requireAuthDeps(appDeps);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /v1/auth/login or /v1/auth/refresh",
  });
  app.route("/", jwksRouter(deps));
  app.route("/v1", identityRouter(deps));
  app.route("/v1", credentialRouter(deps));
  app.route("/v1", sessionsRouter(deps));
};
