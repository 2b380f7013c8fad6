/**
 * The export aggregate, stream `export-<exportId>`: requested -> completed or
 * failed; a completed export may be downloaded any number of times. Pure;
 * tested in exports.test.ts.
 */

import type { AuditExportCompleted, AuditExportRequested } from "../../../events/catalog/exports.ts";
import type { EventOf } from "../../../events/catalog/index.ts";
import type { Evolver } from "../../../events/handle.ts";
import type { NewEvent, StoredEvent } from "../../../events/types.ts";
import { AppError } from "../../http/errors.ts";

export type ExportStatus = "queued" | "completed" | "failed";

export interface ExportState {
  status: ExportStatus | null;
  sha256: string | null;
}

export type ExportRequest = EventOf<typeof AuditExportRequested>["data"];
export type ExportOutcome = EventOf<typeof AuditExportCompleted>["data"];

export const exportStream = (exportId: string) => `export-${exportId}`;

export const exportEvolver: Evolver<ExportState> = {
  initialState: () => ({ status: null, sha256: null }),
  evolve(state, e: StoredEvent) {
    switch (e.type) {
      case "AuditExportRequested":
        return { status: "queued", sha256: null };
      case "AuditExportCompleted":
        return { status: "completed", sha256: (e.data as ExportOutcome).sha256 };
      case "AuditExportFailed":
        return { ...state, status: "failed" };
      default:
        return state;
    }
  },
};

export function decideRequest(s: ExportState, req: ExportRequest): NewEvent[] {
  if (s.status !== null) throw new AppError("conflict", "This export already exists");
  return [{ type: "AuditExportRequested", data: req }];
}

/** Completing or failing twice (a retried job) appends nothing. */
export function decideComplete(s: ExportState, outcome: ExportOutcome): NewEvent[] {
  return s.status === "queued" ? [{ type: "AuditExportCompleted", data: outcome }] : [];
}

export function decideFail(s: ExportState, exportId: string, reason: string): NewEvent[] {
  return s.status === "queued"
    ? [{ type: "AuditExportFailed", data: { exportId, reason: reason.slice(0, 1000) } }]
    : [];
}

export function decideDownload(s: ExportState, exportId: string): NewEvent[] {
  if (s.status === null) throw new AppError("not_found", "No such export");
  if (s.status !== "completed") {
    throw new AppError("conflict", `The export is ${s.status}; only a completed export can be downloaded`);
  }
  return [{ type: "AuditExportDownloaded", data: { exportId, sha256: s.sha256! } }];
}
