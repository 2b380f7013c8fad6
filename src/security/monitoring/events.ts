/**
 * GET /v1/security/events: the log, filtered, cursor-paginated by log position.
 *
 * Order: `desc` (default, newest first: what a person reading the log wants)
 * or `asc` (oldest first: what a program tailing it wants). `asc` reads only
 * behind the same fence as projections (transactions older than every running
 * one), so following `nextCursor` never skips an event that commits late;
 * `desc` shows whatever is committed, and a late commit older than the cursor
 * appears on a fresh first page instead.
 *
 * The cursor is opaque (base64url of the last event's `(tx_id, id)`). Newest
 * first, `nextCursor` is null on the last page; oldest first it is always
 * returned, so a tailing client polls with it. Filters
 * narrow the walk along the `(tx_id, id)` index; the log keeps no more indexes
 * (every index costs every append), so a very selective filter over a long log
 * scans more rows than it returns: the page size bounds what is returned.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { toStoredEvent } from "../../../events/rows.ts";
import type { AppDeps } from "../../app.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { AUTH_PROBLEMS, decodeCursor, encodeCursor, guards, json, limitParam } from "../http.ts";

const TYPE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

const EventSchema = z
  .object({
    eventId: z.string(),
    type: z.string(),
    streamId: z.string(),
    streamVersion: z.number().int(),
    schemaVersion: z.number().int(),
    recordedAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi("LogEvent");

/** Hashes that could be attacked offline are not served, even to admins. */
const REDACTED = new Set(["passwordHash"]);
export function redact(data: unknown): Record<string, unknown> {
  if (!data || typeof data !== "object") return {};
  return Object.fromEntries(
    Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, REDACTED.has(k) ? "[redacted]" : v]),
  );
}

/** `?type=A,B`: at most 20 event type names, as a list (empty when absent). */
export const eventTypesParam = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const list = s ? s.split(",").map((t) => t.trim()) : [];
    if (list.length > 20 || list.some((t) => !TYPE.test(t))) {
      ctx.addIssue({ code: "custom", message: "comma-separated event types (at most 20)" });
      return z.NEVER;
    }
    return list;
  });

const query = z
  .object({
    type: eventTypesParam.openapi({ type: "string", example: "LoginFailed,AccountLocked" }),
    actor: z.string().min(1).max(200).optional().openapi({ example: "anonymous" }),
    ip: z.string().min(2).max(64).optional().openapi({ example: "203.0.113.9" }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: "recorded at or after" }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: "recorded before" }),
    order: z.enum(["desc", "asc"]).default("desc"),
    limit: limitParam(200, 50),
    cursor: z.string().max(200).optional(),
  })
  .openapi("SecurityEventsQuery");

export function eventsRouter(deps: AppDeps) {
  const route = createRoute({
    method: "get",
    path: "/security/events",
    tags: ["security"],
    summary: "The event log, filtered and paginated by log position",
    ...guards(deps)("GET /v1/security/events"),
    request: { query },
    responses: {
      200: json(
        z.object({ events: z.array(EventSchema), nextCursor: z.string().nullable() }),
        "A page of events. `nextCursor`: newest first, null on the last page; oldest first, always set (poll with it)",
      ),
      400: problemContent("`validation_failed` (including a cursor this endpoint did not issue)"),
      ...AUTH_PROBLEMS,
    },
  });

  return createRouter().openapi(route, async (c) => {
    const q = c.req.valid("query");
    const params: unknown[] = [q.limit + 1];
    const where: string[] = [];
    const add = (sql: (n: number) => string, ...values: unknown[]) => {
      params.push(...values);
      where.push(sql(params.length));
    };
    if (q.type.length) add((n) => `type = ANY(string_to_array($${n}::text, ','))`, q.type.join(","));
    if (q.actor) add((n) => `metadata->>'actor' = $${n}`, q.actor);
    if (q.ip) add((n) => `metadata->>'ip' = $${n}`, q.ip);
    if (q.from) add((n) => `recorded_at >= $${n}::timestamptz`, q.from);
    if (q.to) add((n) => `recorded_at < $${n}::timestamptz`, q.to);
    const desc = q.order === "desc";
    if (q.cursor) {
      const [tx, id] = decodeCursor(q.cursor, 2, (p) => p.every((x) => /^\d{1,20}$/.test(x)));
      add((n) => `(tx_id, id) ${desc ? "<" : ">"} ($${n - 1}::xid8, $${n}::bigint)`, tx, id);
    }
    if (!desc) where.push("tx_id < pg_snapshot_xmin(pg_current_snapshot())");
    const dir = desc ? "DESC" : "ASC";
    const rows = await deps.db.query<Parameters<typeof toStoredEvent>[1]>(
      `SELECT id, tx_id::text AS tx_id, stream_id, stream_version, event_id, type, schema_version, data,
              metadata, recorded_at
       FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY events.tx_id ${dir}, events.id ${dir} LIMIT $1`,
      params,
    );
    const page = await deps.store.open(
      rows.slice(0, q.limit).map((r) => toStoredEvent(deps.store.catalog, r)),
    );
    const last = page.at(-1);
    // Oldest first is for tailing: the cursor always comes back (the request's own
    // when nothing new is committed yet), so polling with it resumes where it stopped.
    const nextCursor = last
      ? desc && rows.length <= q.limit
        ? null
        : encodeCursor([last.position.txId, String(last.position.id)])
      : desc
        ? null
        : (q.cursor ?? null);
    return c.json(
      {
        events: page.map((e) => ({
          eventId: e.eventId,
          type: e.type,
          streamId: e.streamId,
          streamVersion: e.streamVersion,
          schemaVersion: e.schemaVersion,
          recordedAt: e.recordedAt.toISOString(),
          data: redact(e.data),
          metadata: { ...e.metadata },
        })),
        nextCursor,
      },
      200,
    );
  });
}
