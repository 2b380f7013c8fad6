/**
 * An export request, as HTTP and the CLI take it, resolved to ledger positions
 * and checked against the catalogue and the latest signed checkpoint, then
 * recorded as AuditExportRequested (the dispatcher makes the job from it).
 */
import { z } from "@hono/zod-openapi";
import type { Db } from "../../../db/client.ts";
import { EXPORT_FORMATS } from "../../../events/catalog/exports.ts";
import { handle } from "../../../events/handle.ts";
import { uuidv7 } from "../../../events/ids.ts";
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata } from "../../../events/types.ts";
import { AppError } from "../../http/errors.ts";
import type { LedgerView } from "./bundle.ts";
import { decideRequest, type ExportRequest, exportEvolver, exportStream } from "./export.ts";
import { positionAt } from "./ledger-view.ts";

const position = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const bound = z
  .union([position, z.iso.datetime({ offset: true })])
  .openapi({ description: "A ledger position, or an ISO 8601 time", example: 0 });

export const RequestSchema = z
  .object({
    from: bound,
    to: bound.openapi({ description: "Exclusive: a ledger position, or an ISO 8601 time", example: 1000 }),
    types: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,99}$/))
      .max(100)
      .optional()
      .openapi({ example: ["LoginFailed"] }),
    streams: z
      .array(z.string().regex(/^[^\s,\p{Cc}]{1,200}$/u, "a stream id (no spaces or commas)"))
      .max(100)
      .optional(),
    format: z.enum(EXPORT_FORMATS).default("ndjson"),
    previous: position.optional().openapi({
      description:
        "The tree size of a checkpoint you already hold: the bundle then proves consistency with it",
    }),
  })
  .openapi("ExportRequest");

export type ExportInput = z.infer<typeof RequestSchema>;

const invalid = (path: string, message: string) =>
  new AppError("validation_failed", "The request has invalid fields", { errors: [{ path, message }] });

export async function resolveExport(
  deps: { db: Db; store: EventStore },
  view: LedgerView,
  body: ExportInput,
): Promise<ExportRequest> {
  const at = async (v: number | string, side: "from" | "to") =>
    typeof v === "number" ? v : positionAt(deps.db, v, side);
  const from = await at(body.from, "from");
  const to = await at(body.to, "to");
  const types = [...new Set(body.types ?? [])];
  types.forEach((t, i) => {
    if (!deps.store.catalog.has(t)) throw invalid(`body.types.${i}`, `no event type ${t} in the catalogue`);
  });
  if (to <= from) throw new AppError("unprocessable", `The range [${from}, ${to}) holds no ledger position`);
  const latest = (await view.latestCheckpoint())?.size ?? 0;
  if (to > latest) {
    throw new AppError(
      "unprocessable",
      `Positions up to ${to} are not covered by a signed checkpoint yet (the latest covers ${latest})`,
    );
  }
  if (body.previous !== undefined && body.previous > latest) {
    throw invalid("body.previous", `no checkpoint of size ${body.previous} yet (the latest is ${latest})`);
  }
  return {
    exportId: uuidv7(),
    from,
    to,
    types,
    streams: [...new Set(body.streams ?? [])],
    format: body.format,
    previous: body.previous ?? null,
  };
}

/** Records the request; the export job does the rest. */
export async function requestExport(store: EventStore, req: ExportRequest, metadata: EventMetadata) {
  await handle(store, exportStream(req.exportId), exportEvolver, (s) => decideRequest(s, req), metadata);
}
