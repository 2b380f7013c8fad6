/**
 * Compliance exports as a feature: the HTTP routes, and the job handler the
 * workers run. Both read the ledger through one LedgerView per app, signing
 * manifests with the checkpoint key (src/audit/checkpoint-keys.ts).
 */
import type { AppDeps, Feature } from "../../app.ts";
import { checkpointKeysFor } from "../feature.ts";
import type { LedgerView } from "./bundle.ts";
import { exportDir, exportJobHandlers } from "./job.ts";
import { ledgerView } from "./ledger-view.ts";
import { exportsRouter } from "./routes.ts";

export { exportJobRoutes } from "./job.ts";

const services = new WeakMap<AppDeps, { view: LedgerView; dir: string }>();

/** The ledger view and the export directory of an app (made once per deps). */
export function exportServices(appDeps: AppDeps): { view: LedgerView; dir: string } {
  let s = services.get(appDeps);
  if (!s) {
    const { db, config } = appDeps;
    const keys = checkpointKeysFor(appDeps);
    s = { view: ledgerView({ db, origin: config.ledger.origin, keys }), dir: exportDir(config) };
    services.set(appDeps, s);
  }
  return s;
}

export const exportsFeature: Feature = (app, deps) => {
  app.route("/v1", exportsRouter(deps, exportServices(deps)));
};

export const exportsJobHandlers = (deps: AppDeps) => exportJobHandlers({ ...deps, ...exportServices(deps) });
