/**
 * POST /v1/audit/exports, GET /v1/audit/exports/{id}, GET /v1/audit/exports/{id}/bundle.
 * Permission `audit:export` (auditors, admins). Requesting and downloading are
 * events with the actor; the bundle itself is built by the export job (job.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Db } from "../../../db/client.ts";
import { EXPORT_FORMATS } from "../../../events/catalog/exports.ts";
import type { AppDeps } from "../../app.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { AUTH_PROBLEMS, guards, json, toIso } from "../../security/http.ts";
import type { LedgerView } from "./bundle.ts";
import { bundleDownload } from "./download.ts";
import { RequestSchema, requestExport, resolveExport } from "./request.ts";

const STATUSES = ["queued", "running", "completed", "failed"] as const;

const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(STATUSES),
    progress: z.object({ done: z.number(), total: z.number(), percent: z.number() }),
    from: z.number(),
    to: z.number(),
    types: z.array(z.string()),
    streams: z.array(z.string()),
    format: z.enum(EXPORT_FORMATS),
    previous: z.number().nullable(),
    requestedBy: z.string(),
    requestedAt: z.string(),
    events: z.number().nullable(),
    bytes: z.number().nullable(),
    sha256: z.string().nullable(),
    checkpoint: z.number().nullable(),
    latest: z.number().nullable(),
    proof: z.enum(["range", "inclusion"]).nullable(),
    error: z.string().nullable(),
    finishedAt: z.string().nullable(),
    downloads: z.number(),
    links: z.object({ self: z.string(), bundle: z.string() }),
  })
  .openapi("Export");

interface Row {
  export_id: string;
  requested_by: string;
  requested_at: Date | string;
  range_from: number;
  range_to: number;
  types: string[];
  streams: string[];
  format: (typeof EXPORT_FORMATS)[number];
  previous_size: number | null;
  status: "queued" | "completed" | "failed";
  events: number | null;
  bytes: number | null;
  sha256: string | null;
  checkpoint_size: number | null;
  latest_size: number | null;
  proof: "range" | "inclusion" | null;
  error: string | null;
  finished_at: Date | string | null;
  downloads: number;
  done: number | null;
  total: number | null;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));
const links = (id: string) => ({ self: `/v1/audit/exports/${id}`, bundle: `/v1/audit/exports/${id}/bundle` });

export async function exportById(db: Db, id: string) {
  const [r] = await db.query<Row>(
    `SELECT x.*, p.done, p.total FROM audit_exports x LEFT JOIN audit_export_progress p USING (export_id)
      WHERE x.export_id = $1`,
    [id],
  );
  if (!r) return null;
  const total = Number(r.range_to) - Number(r.range_from);
  const done = r.status === "completed" ? total : Math.min(total, Number(r.done ?? 0));
  return {
    id: r.export_id,
    status: r.status === "queued" && r.done !== null ? ("running" as const) : r.status,
    progress: { done, total, percent: total === 0 ? 100 : Math.floor((done * 1000) / total) / 10 },
    from: Number(r.range_from),
    to: Number(r.range_to),
    types: r.types,
    streams: r.streams,
    format: r.format,
    previous: num(r.previous_size),
    requestedBy: r.requested_by,
    requestedAt: toIso(r.requested_at)!,
    events: num(r.events),
    bytes: num(r.bytes),
    sha256: r.sha256,
    checkpoint: num(r.checkpoint_size),
    latest: num(r.latest_size),
    proof: r.proof,
    error: r.error,
    finishedAt: toIso(r.finished_at),
    downloads: r.downloads,
    links: links(r.export_id),
  };
}

export interface ExportRouteDeps {
  view: LedgerView;
  dir: string;
}

export function exportsRouter(deps: AppDeps, x: ExportRouteDeps) {
  const secured = guards(deps);
  const idParam = z.object({ id: z.uuid().openapi({ example: "01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f" }) });

  const createExport = createRoute({
    method: "post",
    path: "/audit/exports",
    tags: ["audit"],
    summary: "Start a compliance export of a range of the ledger",
    ...secured("POST /v1/audit/exports"),
    request: { body: { required: true, content: { "application/json": { schema: RequestSchema } } } },
    responses: {
      202: json(ExportSchema, "The export is queued; poll `links.self`, then download `links.bundle`"),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
      422: problemContent("`unprocessable`: the range is empty or not covered by a signed checkpoint yet"),
    },
  });
  const getExport = createRoute({
    method: "get",
    path: "/audit/exports/{id}",
    tags: ["audit"],
    summary: "An export's status and progress",
    ...secured("GET /v1/audit/exports/{id}"),
    request: { params: idParam },
    responses: {
      200: json(ExportSchema, "The export"),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`"),
    },
  });
  const getBundle = createRoute({
    method: "get",
    path: "/audit/exports/{id}/bundle",
    tags: ["audit"],
    summary: "Download the bundle (a tar; verify it offline with `npx vigil-verify`)",
    ...secured("GET /v1/audit/exports/{id}/bundle"),
    request: { params: idParam },
    responses: {
      200: { description: "The bundle", content: { "application/x-tar": { schema: z.any() } } },
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`"),
      409: problemContent("`conflict`: the export is not completed"),
    },
  });

  return createRouter()
    .openapi(createExport, async (c) => {
      const req = await resolveExport(deps, x.view, c.req.valid("json"));
      await requestExport(deps.store, req, eventMetadata(c));
      const view = await exportById(deps.db, req.exportId);
      c.header("Location", links(req.exportId).self);
      return c.json(view!, 202);
    })
    .openapi(getExport, async (c) => {
      const view = await exportById(deps.db, c.req.valid("param").id);
      if (!view) throw new AppError("not_found", "No such export");
      return c.json(view, 200);
    })
    .openapi(getBundle, async (c) => {
      const { body, headers } = await bundleDownload(
        deps.store,
        x.dir,
        c.req.valid("param").id,
        eventMetadata(c),
      );
      return c.body(body, 200, headers);
    });
}
