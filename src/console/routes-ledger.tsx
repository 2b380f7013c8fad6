/** Custody, governance and the ledger: read-only summaries (filled in below). */
import type { AuthDeps } from "../auth/deps.ts";
import { consoleRouter } from "./kit.ts";

export function ledgerRoutes(_deps: AuthDeps) {
  return consoleRouter();
}
