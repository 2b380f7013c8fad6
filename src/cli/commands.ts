/**
 * The CLI's commands as plain functions over injected dependencies, so tests
 * run them without spawning a process. src/cli/main.ts wires them to argv.
 */
import type { Db } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import type { EventStore } from "../../events/store.ts";
import type { EventMetadata } from "../../events/types.ts";
import { verifyChains } from "../../events/verify.ts";
import { findProjection } from "../../projections/index.ts";
import { rebuildProjection, type TableDiff, verifyProjections } from "../../projections/rebuild.ts";
import type { Projection } from "../../projections/types.ts";
import { retentionExclusions } from "../audit/retention.ts";
import type { RetentionConfig } from "../config.ts";
import { printCatalog, printOutbox } from "./catalog.ts";

export interface CliDeps {
  db: Db;
  store: EventStore;
  projections: readonly Projection[];
  out: (line: string) => void;
  /** DATA_DIR: where the development outbox lives. */
  dataDir: string;
  /** Progress goes here (stderr), so stdout stays parseable; `count` (units done) gives the rate. */
  progress: (line: string, count?: number) => void;
  /** Retention ages: `replay --verify` leaves rows retention prunes out of its comparison. */
  retention?: RetentionConfig;
}

const systemMeta = (command: string): EventMetadata => ({
  actor: `system:cli`,
  ip: null,
  userAgent: `vigil-cli ${command}`,
  requestId: null,
  correlationId: crypto.randomUUID(),
  causationId: null,
});

export async function cmdMigrate(d: CliDeps): Promise<number> {
  const applied = await migrate(d.db);
  d.out(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
  return 0;
}

/** Recomputes every hash chain; exit 1 on any break. The result is itself logged as evidence. */
export async function cmdVerify(d: CliDeps): Promise<number> {
  const report = await verifyChains(d.db, (n) => d.progress(`verify: ${n} events checked`, n));
  d.out(`streams: ${report.streams}  events: ${report.events}  broken streams: ${report.breaks.length}`);
  for (const b of report.breaks) {
    d.out(`BROKEN ${b.streamId} at version ${b.version}: ${b.reason}`);
    d.out(`  expected ${b.expected}`);
    d.out(`  found    ${b.found}`);
  }
  const first = report.breaks[0];
  await d.store.append(
    "system-verification",
    "any",
    [
      {
        type: "ChainVerified",
        data: {
          streams: report.streams,
          events: report.events,
          broken: report.breaks.length,
          firstBreak: first
            ? { streamId: first.streamId, version: first.version, reason: first.reason }
            : null,
        },
      },
    ],
    systemMeta("verify"),
  );
  d.out(report.breaks.length ? "chain verification FAILED" : "every chain holds");
  return report.breaks.length ? 1 : 0;
}

export function formatDiff(diffs: readonly TableDiff[]): string[] {
  const lines: string[] = [];
  for (const d of diffs) {
    lines.push(
      `DIFF ${d.projection}.${d.table}: live ${d.liveRows} rows, rebuilt from the log ${d.rebuiltRows} rows`,
    );
    for (const r of d.onlyLive) lines.push(`  - live only:    ${JSON.stringify(r)}`);
    for (const r of d.onlyRebuilt) lines.push(`  + rebuilt only: ${JSON.stringify(r)}`);
  }
  return lines;
}

/** Rebuilds every projection into shadow tables and diffs them against the live ones. */
export async function cmdReplayVerify(d: CliDeps): Promise<number> {
  const diffs = await verifyProjections(
    { db: d.db, store: d.store, onProgress: (_p, n) => d.progress(`replay: ${n} events`, n) },
    d.projections,
    { ignore: d.retention ? retentionExclusions(d.retention, new Date()) : undefined },
  );
  for (const line of formatDiff(diffs)) d.out(line);
  d.out(
    diffs.length
      ? `replay verification FAILED: ${diffs.length} table(s) differ`
      : `replay verification passed: ${d.projections.length} projection(s) match the log`,
  );
  return diffs.length ? 1 : 0;
}

export async function cmdRebuild(d: CliDeps, name: string | undefined): Promise<number> {
  if (!name) {
    d.out(`usage: rebuild <projection>   (one of: ${d.projections.map((p) => p.name).join(", ")})`);
    return 2;
  }
  const p = findProjection(name, d.projections);
  const r = await rebuildProjection(
    { db: d.db, store: d.store, onProgress: (_p, n) => d.progress(`rebuild ${name}: ${n} events`, n) },
    p,
  );
  await d.store.append(
    "system-rebuilds",
    "any",
    [{ type: "ProjectionRebuilt", data: { projection: name, events: r.events, durationMs: r.durationMs } }],
    systemMeta("rebuild"),
  );
  d.out(`rebuilt ${name} from ${r.events} events in ${r.durationMs} ms`);
  return 0;
}

/** The event catalogue, for auditors: every type, its version and its JSON Schema. */
export function cmdCatalog(d: CliDeps, json: boolean): number {
  return printCatalog(d.store.catalog, d.out, json);
}

/** The development outbox: mail Vigil "sent" without SMTP_URL, newest first. */
export function cmdOutbox(d: CliDeps, dataDir: string, limit: number): Promise<number> {
  return printOutbox(dataDir, d.out, limit);
}
