/**
 * GET /v1/audit/events?after=&limit=&type=&stream=: the ledger in position
 * order, each event with its position, stored hash, previous hash and leaf
 * hash, so an auditor can recompute the chain and the tree. Paged by position:
 * `nextAfter` is the last position returned (null once the ledger's end is
 * reached). Filters skip events but the walk stays in position order; a very
 * selective filter over a long ledger scans more rows than it returns.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { leafHash } from "../../events/ledger/merkle.ts";
import type { EventRow } from "../../events/rows.ts";
import type { AppDeps } from "../app.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { eventTypesParam, redact } from "../security/monitoring/events.ts";
import { AUTH_PROBLEMS, count, guards, HashHex, json, limitParam } from "./http.ts";
import { hex } from "./ledger.ts";

/** Stream ids are `<type>-<id>`: printable, no spaces, bounded. */
export const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

export const AuditEventSchema = z
  .object({
    position: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Ledger position (null: not sequenced yet)" }),
    eventId: z.string(),
    streamId: z.string(),
    streamVersion: z.number().int(),
    type: z.string(),
    schemaVersion: z.number().int(),
    recordedAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
    prevHash: HashHex,
    hash: HashHex,
    leafHash: HashHex,
  })
  .openapi("AuditEvent");

export type AuditEventRow = EventRow & {
  position: number | null;
  prev_hash: Uint8Array;
  hash: Uint8Array;
};

export const AUDIT_EVENT_COLUMNS =
  "e.id, e.tx_id::text AS tx_id, e.stream_id, e.stream_version, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at, e.prev_hash, e.hash";

/** Data as stored (what the hash covers), not upcast: the auditor recomputes hashes from it. */
export function toAuditEvent(r: AuditEventRow) {
  const hash = new Uint8Array(r.hash);
  return {
    position: r.position === null ? null : Number(r.position),
    eventId: r.event_id,
    streamId: r.stream_id,
    streamVersion: Number(r.stream_version),
    type: r.type,
    schemaVersion: Number(r.schema_version),
    recordedAt: new Date(r.recorded_at).toISOString(),
    data: redact(r.data),
    metadata: r.metadata as unknown as Record<string, unknown>,
    prevHash: hex(new Uint8Array(r.prev_hash)),
    hash: hex(hash),
    leafHash: hex(leafHash(hash)),
  };
}

const query = z.object({
  after: count("only positions after this one").optional(),
  limit: limitParam(1000, 100),
  type: eventTypesParam.openapi({ type: "string", example: "UserRegistered,LoginFailed" }),
  stream: z.string().regex(STREAM_ID, "a stream id").optional(),
});

export function auditEventsRouter(deps: AppDeps) {
  const route = createRoute({
    method: "get",
    path: "/audit/events",
    tags: ["audit"],
    summary: "Ledger events in position order, with their hashes",
    ...guards(deps)("GET /v1/audit/events"),
    request: { query },
    responses: {
      200: json(
        z.object({ events: z.array(AuditEventSchema), nextAfter: z.number().int().nullable() }),
        "A page of events; pass `nextAfter` as `after` for the next one",
      ),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
    },
  });

  return createRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const params: unknown[] = [q.limit, q.after ?? -1];
    const where = ["l.position > $2"];
    if (q.type.length) {
      params.push(q.type.join(","));
      where.push(`e.type = ANY(string_to_array($${params.length}::text, ','))`);
    }
    if (q.stream) {
      params.push(q.stream);
      where.push(`e.stream_id = $${params.length}`);
    }
    const rows = await deps.db.query<AuditEventRow>(
      `SELECT l.position, ${AUDIT_EVENT_COLUMNS}
         FROM ledger_entries l JOIN events e ON e.tx_id = l.log_tx_id AND e.id = l.log_id
        WHERE ${where.join(" AND ")} ORDER BY l.position LIMIT $1`,
      params,
    );
    const events = rows.map(toAuditEvent);
    const nextAfter = events.length === q.limit ? events.at(-1)!.position : null;
    return c.json({ events, nextAfter }, 200);
  });
}
