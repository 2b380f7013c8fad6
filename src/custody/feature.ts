/** Custody as a feature: vault and transaction routes under /v1/custody (needs AppDeps.auth). */
import type { Feature } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { transactionRouter } from "./transaction-routes.ts";
import { vaultRouter } from "./vault-routes.ts";

export const custodyFeature: Feature = (app, appDeps) => {
  const deps = requireAuthDeps(appDeps);
  app.route("/v1", vaultRouter(deps));
  app.route("/v1", transactionRouter(deps));
};
