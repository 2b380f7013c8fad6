/**
 * Governance as a feature: wallets, voting power, proposals, signed votes and
 * guardian intervention, mounted under /v1. Needs AppDeps.auth.
 */
import type { Feature } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { sharedSignaturePool } from "./crypto/signature-pool.ts";
import { snapshotPower } from "./power.ts";
import { votingWindows } from "./queries.ts";
import { proposalsRouter } from "./routes/proposals.ts";
import { votesRouter } from "./routes/votes.ts";
import { walletsRouter } from "./routes/wallets.ts";

export const governanceFeature: Feature = (app, appDeps) => {
  const deps = {
    ...requireAuthDeps(appDeps),
    powerAt: snapshotPower(appDeps.store),
    windowOf: votingWindows(appDeps.db),
    signatures: sharedSignaturePool(),
  };
  app.route("/v1", walletsRouter(deps));
  app.route("/v1", proposalsRouter(deps));
  app.route("/v1", votesRouter(deps));
};
