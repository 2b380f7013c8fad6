/**
 * The audit feature: the ledger's checkpoints, proofs, events and stream
 * history and state (audit:read: auditors and admins), and the public
 * checkpoint verifier key. Needs AppDeps.auth (its keyring seals the
 * checkpoint key). The sequencer itself runs with the background work
 * (src/audit/background.ts), never in the request path.
 */
import type { AppDeps, Feature } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { type CheckpointKeys, checkpointKeys } from "./checkpoint-keys.ts";
import { checkpointKeyRouter, checkpointsRouter } from "./checkpoints.ts";
import { auditEventsRouter } from "./events.ts";
import { proofsRouter } from "./proofs.ts";
import { auditStreamsRouter } from "./streams.ts";

export function checkpointKeysFor(deps: AppDeps): CheckpointKeys {
  const { db, config, clock } = deps;
  return checkpointKeys({
    db,
    keyring: requireAuthDeps(deps).auth.keyring,
    name: config.ledger.origin,
    clock,
  });
}

export const auditFeature: Feature = (app, deps) => {
  const keys = checkpointKeysFor(deps);
  app.route("/", checkpointKeyRouter(keys));
  app.route("/v1", checkpointsRouter(deps, keys));
  app.route("/v1", proofsRouter(deps));
  app.route("/v1", auditEventsRouter(deps));
  app.route("/v1", auditStreamsRouter(deps));
};
