/**
 * Compliance exports (src/audit/exports), stream `export-<exportId>`: who asked
 * for which range of the ledger, what the bundle came to, and every download.
 * The actor of each is in the metadata.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;

const position = z.number().int().nonnegative();

export const AuditExportRequested = defineEvent({
  type: "AuditExportRequested",
  domain: "audit",
  description:
    "Someone asked for a compliance export of ledger positions [from, to) (resolved from times when times were given), optionally only of some event types or streams. The export job builds the bundle.",
  version: 1,
  schema: z.object({
    exportId: z.uuid(),
    from: position,
    to: position,
    types: z.array(z.string().min(1).max(100)).max(100),
    streams: z.array(z.string().min(1).max(200)).max(100),
    format: z.enum(EXPORT_FORMATS),
    /** A tree size the requester already holds a checkpoint of; the bundle proves consistency from it. */
    previous: position.nullable(),
  }),
});

export const AuditExportCompleted = defineEvent({
  type: "AuditExportCompleted",
  domain: "audit",
  description:
    "The export bundle was written: how many events, its size and SHA-256, the checkpoint it is proven against and the latest checkpoint it is consistent with.",
  version: 1,
  schema: z.object({
    exportId: z.uuid(),
    events: position,
    bytes: position,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    checkpointSize: position,
    latestSize: position,
    proof: z.enum(["range", "inclusion"]),
  }),
});

export const AuditExportFailed = defineEvent({
  type: "AuditExportFailed",
  domain: "audit",
  description: "The export job gave up; `reason` says why.",
  version: 1,
  schema: z.object({ exportId: z.uuid(), reason: z.string().min(1).max(1000) }),
});

export const AuditExportDownloaded = defineEvent({
  type: "AuditExportDownloaded",
  domain: "audit",
  description: "Someone downloaded the export bundle; the actor is in the metadata.",
  version: 1,
  schema: z.object({ exportId: z.uuid(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export const exportEvents = [
  AuditExportRequested,
  AuditExportCompleted,
  AuditExportFailed,
  AuditExportDownloaded,
];
