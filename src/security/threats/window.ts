/**
 * Reads a rule's window: the events of `security_signals` matching the
 * trigger's address, account or just the types, in the period up to the
 * trigger's time (not now: re-running a job sees the same window), joined to
 * `events` by primary key and upcast like any read of the log.
 */
import type { Sql } from "../../../db/client.ts";
import type { Catalog } from "../../../events/catalog/catalog.ts";
import type { EventMetadata, StoredEvent } from "../../../events/types.ts";
import type { WindowSpec } from "./rules/index.ts";
import { accountOf, ipKeyOf } from "./types.ts";

/** Rows per window at most: far beyond every threshold, and a bound on a flood's cost. */
export const WINDOW_LIMIT = 500;

interface EventRow {
  id: number;
  tx_id: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date | string;
}

const COLUMNS = `e.id, e.tx_id::text AS tx_id, e.stream_id, e.stream_version, e.event_id, e.type,
  e.schema_version, e.data, e.metadata, e.recorded_at`;

export function toStoredEvent(catalog: Catalog, r: EventRow): StoredEvent {
  const up = catalog.upcast(r.type, r.schema_version, r.data);
  return {
    position: { txId: r.tx_id, id: Number(r.id) },
    streamId: r.stream_id,
    streamVersion: Number(r.stream_version),
    eventId: r.event_id,
    type: r.type,
    schemaVersion: up.version,
    data: up.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at),
  };
}

/** One event by its stream key (what the threat job carries). */
export async function eventAt(
  sql: Sql,
  catalog: Catalog,
  streamId: string,
  streamVersion: number,
): Promise<StoredEvent | null> {
  const rows = await sql.query<EventRow>(
    `SELECT ${COLUMNS} FROM events e WHERE e.stream_id = $1 AND e.stream_version = $2`,
    [streamId, streamVersion],
  );
  return rows[0] ? toStoredEvent(catalog, rows[0]) : null;
}

export async function loadWindow(
  sql: Sql,
  catalog: Catalog,
  spec: WindowSpec,
  trigger: StoredEvent,
): Promise<StoredEvent[]> {
  if (spec.by === "none" || spec.types.length === 0) return [trigger];
  const to = trigger.recordedAt.toISOString();
  const from =
    spec.periodMs === null ? null : new Date(trigger.recordedAt.getTime() - spec.periodMs).toISOString();
  const params: unknown[] = [spec.types.join(","), to, from, WINDOW_LIMIT];
  let where =
    "s.type = ANY(string_to_array($1::text, ',')) AND s.at <= $2 AND ($3::timestamptz IS NULL OR s.at > $3)";
  if (spec.by === "ip" || spec.by === "account") {
    const key = spec.by === "ip" ? ipKeyOf(trigger) : accountOf(trigger);
    if (key === null) return [trigger];
    params.push(key);
    where += spec.by === "ip" ? " AND s.ip = $5" : " AND s.account = $5";
  }
  // Newest first under the limit (the freshest evidence), returned oldest first.
  const rows = await sql.query<EventRow>(
    `SELECT ${COLUMNS} FROM security_signals s
       JOIN events e ON e.stream_id = s.stream_id AND e.stream_version = s.stream_version
     WHERE ${where} ORDER BY s.at DESC LIMIT $4`,
    params,
  );
  return rows.reverse().map((r) => toStoredEvent(catalog, r));
}
