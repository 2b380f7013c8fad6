/**
 * GET /v1/audit/streams/{streamId}: the stream's history with its hash chain,
 * each link recomputed here (`chainValid` says whether every link holds).
 * GET /v1/audit/streams/{streamId}/state?at={position}: the stream's state as
 * it was once the ledger reached `at`, through the stream's own evolve
 * (`stateAt`, events/time-travel.ts; evolvers by stream type in evolvers.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { canonicalEnvelope, GENESIS_HASH, linkHash, sameBytes } from "../../events/envelope.ts";
import { streamTypeOf } from "../../events/store.ts";
import { stateAt } from "../../events/time-travel.ts";
import type { AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { createRouter, problemContent } from "../http/router.ts";
import {
  AUDIT_EVENT_COLUMNS,
  type AuditEventRow,
  AuditEventSchema,
  STREAM_ID,
  toAuditEvent,
} from "./events.ts";
import { evolverFor, STREAM_EVOLVERS } from "./evolvers.ts";
import { AUTH_PROBLEMS, count, guards, json } from "./http.ts";

const MAX_EVENTS = 10_000;
const params = z.object({ streamId: z.string().regex(STREAM_ID, "a stream id") });

const HistorySchema = z
  .object({
    streamId: z.string(),
    version: z.number().int(),
    chainValid: z.boolean().openapi({ description: "Every link recomputed from the stored envelope holds" }),
    firstBrokenVersion: z.number().int().nullable(),
    events: z.array(AuditEventSchema),
  })
  .openapi("AuditStream");

function verifyLinks(rows: readonly AuditEventRow[]): number | null {
  let head: Uint8Array = GENESIS_HASH;
  for (const [i, r] of rows.entries()) {
    const version = Number(r.stream_version);
    if (version !== i + 1 || !sameBytes(new Uint8Array(r.prev_hash), head)) return version;
    const computed = linkHash(
      head,
      canonicalEnvelope({
        stream_id: r.stream_id,
        stream_version: version,
        event_id: r.event_id,
        type: r.type,
        schema_version: r.schema_version,
        data: r.data,
        metadata: r.metadata,
        recorded_at: new Date(r.recorded_at).toISOString(),
      }),
    );
    if (!sameBytes(computed, new Uint8Array(r.hash))) return version;
    head = computed;
  }
  return null;
}

export function auditStreamsRouter(deps: AppDeps) {
  const secured = guards(deps);
  const history = createRoute({
    method: "get",
    path: "/audit/streams/{streamId}",
    tags: ["audit"],
    summary: "A stream's history with its hash chain, each link recomputed",
    ...secured("GET /v1/audit/streams/{streamId}"),
    request: { params },
    responses: {
      200: json(HistorySchema, "The stream"),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: no such stream"),
      422: problemContent(`\`unprocessable\`: more than ${MAX_EVENTS} events (use /v1/audit/events?stream=)`),
    },
  });
  const state = createRoute({
    method: "get",
    path: "/audit/streams/{streamId}/state",
    tags: ["audit"],
    summary: `The stream's state at a ledger position (stream types: ${Object.keys(STREAM_EVOLVERS).join(", ")})`,
    ...secured("GET /v1/audit/streams/{streamId}/state"),
    request: { params, query: z.object({ at: count("ledger position, inclusive") }) },
    responses: {
      200: json(
        z
          .object({
            streamId: z.string(),
            at: z.number().int(),
            version: z
              .number()
              .int()
              .openapi({ description: "The stream version the state includes (0: none)" }),
            state: z.unknown(),
          })
          .openapi("AuditStreamState"),
        "The state",
      ),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: no such stream, or the position is not in the ledger (yet)"),
      422: problemContent("`unprocessable`: no evolver for this stream type"),
    },
  });

  return createRouter()
    .openapi(history, async (c) => {
      const { streamId } = c.req.valid("param");
      const rows = await deps.db.query<AuditEventRow>(
        `SELECT l.position, ${AUDIT_EVENT_COLUMNS}
           FROM events e LEFT JOIN ledger_entries l ON l.log_tx_id = e.tx_id AND l.log_id = e.id
          WHERE e.stream_id = $1 ORDER BY e.stream_version LIMIT ${MAX_EVENTS + 1}`,
        [streamId],
      );
      if (rows.length === 0) throw new AppError("not_found", "No such stream");
      if (rows.length > MAX_EVENTS) {
        throw new AppError(
          "unprocessable",
          `The stream has more than ${MAX_EVENTS} events; page /v1/audit/events`,
        );
      }
      const broken = verifyLinks(rows);
      return c.json(
        {
          streamId,
          version: Number(rows.at(-1)!.stream_version),
          chainValid: broken === null,
          firstBrokenVersion: broken,
          events: rows.map(toAuditEvent),
        },
        200,
      );
    })
    .openapi(state, async (c) => {
      const { streamId } = c.req.valid("param");
      const { at } = c.req.valid("query");
      const evolver = evolverFor(streamTypeOf(streamId));
      if (!evolver) {
        throw new AppError(
          "unprocessable",
          `No state is defined for streams of type ${streamTypeOf(streamId)}`,
        );
      }
      const [entry] = await deps.db.query<{ tx_id: string; id: number }>(
        "SELECT log_tx_id::text AS tx_id, log_id AS id FROM ledger_entries WHERE position = $1",
        [at],
      );
      if (!entry) throw new AppError("not_found", `Position ${at} is not in the ledger (yet)`);
      const result = await stateAt(deps.store, streamId, evolver, {
        txId: entry.tx_id,
        id: Number(entry.id),
      });
      if (result.version === 0 && (await deps.store.streamVersion(streamId)) === 0) {
        throw new AppError("not_found", "No such stream");
      }
      return c.json({ streamId, at, version: result.version, state: result.state }, 200);
    });
}
