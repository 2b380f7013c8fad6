/** Inline projection `audit_exports`: each compliance export, its outcome and its downloads. */

import type {
  AuditExportCompleted,
  AuditExportFailed,
  AuditExportRequested,
} from "../events/catalog/exports.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type { Projection } from "./types.ts";

export const auditExportsProjection: Projection = {
  name: "audit_exports",
  mode: "inline",
  eventTypes: ["AuditExportRequested", "AuditExportCompleted", "AuditExportFailed", "AuditExportDownloaded"],
  tables: ["audit_exports"],
  async apply(sql, e) {
    const at = e.recordedAt.toISOString();
    const id = (e.data as { exportId: string }).exportId;
    switch (e.type) {
      case "AuditExportRequested": {
        const d = e.data as EventOf<typeof AuditExportRequested>["data"];
        await sql.query(
          `INSERT INTO audit_exports (export_id, requested_by, requested_at, range_from, range_to, types, streams,
                                      format, previous_size, status, version)
           VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8, $9, 'queued', $10)`,
          [
            id,
            e.metadata.actor,
            at,
            d.from,
            d.to,
            JSON.stringify(d.types),
            JSON.stringify(d.streams),
            d.format,
            d.previous,
            e.streamVersion,
          ],
        );
        return;
      }
      case "AuditExportCompleted": {
        const d = e.data as EventOf<typeof AuditExportCompleted>["data"];
        await sql.query(
          `UPDATE audit_exports SET status = 'completed', events = $2, bytes = $3, sha256 = $4,
                  checkpoint_size = $5, latest_size = $6, proof = $7, finished_at = $8, version = $9
           WHERE export_id = $1`,
          [id, d.events, d.bytes, d.sha256, d.checkpointSize, d.latestSize, d.proof, at, e.streamVersion],
        );
        return;
      }
      case "AuditExportFailed": {
        const d = e.data as EventOf<typeof AuditExportFailed>["data"];
        await sql.query(
          `UPDATE audit_exports SET status = 'failed', error = $2, finished_at = $3, version = $4
           WHERE export_id = $1`,
          [id, d.reason, at, e.streamVersion],
        );
        return;
      }
      case "AuditExportDownloaded":
        await sql.query(
          `UPDATE audit_exports SET downloads = downloads + 1, last_downloaded_at = $2, version = $3
           WHERE export_id = $1`,
          [id, at, e.streamVersion],
        );
        return;
    }
  },
};
