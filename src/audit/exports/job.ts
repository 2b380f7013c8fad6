/**
 * The export job. The dispatcher turns each AuditExportRequested into an
 * `audit.export` job (id `<event id>/audit.export`), so an export is never
 * lost when the queue is down and never built twice; the job runs on the queue
 * port (BullMQ with Redis, in-process without). It writes the bundle under
 * the export directory, records its progress in `audit_export_progress`
 * (operational, not an event), and ends with AuditExportCompleted, or
 * AuditExportFailed once retrying cannot help.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Db } from "../../../db/client.ts";
import type { AuditExportRequested } from "../../../events/catalog/exports.ts";
import type { EventOf } from "../../../events/catalog/index.ts";
import { handle } from "../../../events/handle.ts";
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata } from "../../../events/types.ts";
import { eventJob, type JobRoute } from "../../../workers/dispatcher.ts";
import { type JobContext, type JobHandler, PermanentJobError } from "../../../workers/queue.ts";
import type { Config } from "../../config.ts";
import { ExportError, type LedgerView, writeBundle } from "./bundle.ts";
import { decideComplete, decideFail, exportEvolver, exportStream } from "./export.ts";

export const EXPORT_JOB = "audit.export";

/** EXPORT_DIR, else `<DATA_DIR>/exports` (a temporary folder when nothing is kept on disk). */
export function exportDir(config: Pick<Config, "exportDir" | "dataDir">): string {
  if (config.exportDir) return config.exportDir;
  if (config.dataDir.startsWith("memory://")) return join(tmpdir(), "vigil-exports");
  return join(config.dataDir, "exports");
}

export const bundlePath = (dir: string, exportId: string) => join(dir, `${exportId}.tar`);

export const exportJobRoutes: JobRoute[] = [
  {
    eventType: "AuditExportRequested",
    jobs: (e) => [
      eventJob(e, EXPORT_JOB, {
        exportId: (e.data as EventOf<typeof AuditExportRequested>["data"]).exportId,
      }),
    ],
  },
];

export interface ExportJobDeps {
  db: Db;
  store: EventStore;
  clock: { now(): Date };
  logger: Pick<Logger, "info" | "warn">;
  view: LedgerView;
  dir: string;
  /** Called with every batch (the CLI's progress bar); the table is written at most every 250 ms. */
  onProgress?: (done: number, total: number) => void;
}

interface ExportRow {
  range_from: number;
  range_to: number;
  types: string[];
  streams: string[];
  format: "ndjson" | "csv";
  previous_size: number | null;
  status: string;
  requested_at: Date | string;
}

const jobMeta = (causationId: string | null): EventMetadata => ({
  actor: "system:exports",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: causationId,
  causationId,
});

/** Progress is written at most this often (ms); the last batch is always written. */
const PROGRESS_EVERY_MS = 250;

async function saveProgress(db: Db, exportId: string, done: number, total: number, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO audit_export_progress (export_id, done, total, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (export_id) DO UPDATE SET done = EXCLUDED.done, total = EXCLUDED.total, updated_at = EXCLUDED.updated_at`,
    [exportId, done, total, at.toISOString()],
  );
}

/** Builds one export's bundle; a completed or failed export is left alone (a redelivered job). */
export async function runExport(deps: ExportJobDeps, exportId: string, causationId: string | null = null) {
  const [row] = await deps.db.query<ExportRow>(
    `SELECT range_from, range_to, types, streams, format, previous_size, status, requested_at
       FROM audit_exports WHERE export_id = $1`,
    [exportId],
  );
  if (!row) throw new PermanentJobError(`no export ${exportId}`);
  if (row.status !== "queued") return;
  const from = Number(row.range_from);
  const to = Number(row.range_to);
  await saveProgress(deps.db, exportId, 0, to - from, deps.clock.now());
  let last = 0;
  const result = await writeBundle(
    deps.view,
    {
      id: exportId,
      from,
      to,
      types: row.types,
      streams: row.streams,
      format: row.format,
      previous: row.previous_size === null ? null : Number(row.previous_size),
      createdAt: new Date(row.requested_at),
    },
    bundlePath(deps.dir, exportId),
    async (done, total) => {
      deps.onProgress?.(done, total);
      const now = deps.clock.now();
      if (done < total && now.getTime() - last < PROGRESS_EVERY_MS) return;
      last = now.getTime();
      await saveProgress(deps.db, exportId, done, total, now);
    },
  );
  await handle(
    deps.store,
    exportStream(exportId),
    exportEvolver,
    (s) =>
      decideComplete(s, {
        exportId,
        events: result.events,
        bytes: result.bytes,
        sha256: result.sha256,
        checkpointSize: result.checkpoint,
        latestSize: result.latest,
        proof: result.proof,
      }),
    jobMeta(causationId),
  );
  deps.logger.info({ exportId, events: result.events, bytes: result.bytes }, "export written");
}

async function recordFailure(deps: ExportJobDeps, exportId: string, reason: string, causationId: string) {
  await handle(
    deps.store,
    exportStream(exportId),
    exportEvolver,
    (s) => decideFail(s, exportId, reason),
    jobMeta(causationId),
  );
}

export function exportJobHandlers(deps: ExportJobDeps): Record<string, JobHandler> {
  return {
    async [EXPORT_JOB](data, ctx: JobContext) {
      const exportId = (data as { exportId?: unknown }).exportId;
      if (typeof exportId !== "string") throw new PermanentJobError("audit.export needs an exportId");
      const causation = ctx.id.split("/")[0] ?? null;
      try {
        await runExport(deps, exportId, causation);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        // A range no checkpoint covers, or a damaged ledger: retrying cannot help.
        if (err instanceof ExportError) {
          await recordFailure(deps, exportId, reason, causation ?? exportId);
          throw new PermanentJobError(reason);
        }
        if (ctx.attempt >= ctx.maxAttempts)
          await recordFailure(deps, exportId, reason, causation ?? exportId);
        throw err;
      }
    },
  };
}
