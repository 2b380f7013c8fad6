/**
 * Test support: AppDeps on an in-memory PGlite with quiet logging, for any
 * suite that drives the app through `app.request()`. Not imported by runtime code.
 */

import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import type { AppDeps } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../observability/logger.ts";
import { Metrics } from "../observability/metrics.ts";

export async function testDeps(
  env: Record<string, string> = {},
  overrides: Partial<AppDeps> = {},
): Promise<AppDeps> {
  const db = overrides.db ?? (await pgliteDb());
  const config = loadConfig({ NODE_ENV: "test", ...env });
  let n = 0;
  return {
    config,
    db,
    store: createEventStore({ db, catalog: createCatalog() }),
    logger: createLogger({ level: "silent" }),
    // Default process metrics are skipped: they add nothing to HTTP assertions.
    metrics: new Metrics({ defaultMetrics: false }),
    clock: { now: () => new Date("2026-01-01T00:00:00Z") },
    ids: { newId: () => `test-request-${String(++n).padStart(4, "0")}` },
    readiness: [],
    ...overrides,
  };
}

/** The env of `app.request(...)` carrying a direct peer address, as Deno.serve's would. */
export function peer(hostname: string): { remoteAddr: { hostname: string } } {
  return { remoteAddr: { hostname } };
}
