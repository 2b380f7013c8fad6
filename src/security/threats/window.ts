/**
 * Reads a rule's window: the events of `security_signals` matching the
 * trigger's address, account or just the types, in the period up to the
 * trigger's time (not now: re-running a job sees the same window), joined to
 * `events` by primary key and upcast like any read of the log.
 */
import type { Sql } from "../../../db/client.ts";
import { type EventRow, eventColumns, toStoredEvent } from "../../../events/rows.ts";
import type { EventStore } from "../../../events/store.ts";
import type { StoredEvent } from "../../../events/types.ts";
import type { WindowSpec } from "./rules/index.ts";
import { accountOf, ipKeyOf } from "./types.ts";

/** Rows per window at most: far beyond every threshold, and a bound on a flood's cost. */
export const WINDOW_LIMIT = 500;

const COLUMNS = eventColumns("e");

/** Maps rows to events and opens their sealed personal data. */
type Readers = Pick<EventStore, "catalog" | "open">;

/** One event by its stream key (what the threat job carries). */
export async function eventAt(
  sql: Sql,
  store: Readers,
  streamId: string,
  streamVersion: number,
): Promise<StoredEvent | null> {
  const rows = await sql.query<EventRow>(
    `SELECT ${COLUMNS} FROM events e WHERE e.stream_id = $1 AND e.stream_version = $2`,
    [streamId, streamVersion],
  );
  if (!rows[0]) return null;
  const [event] = await store.open([toStoredEvent(store.catalog, rows[0])]);
  return event ?? null;
}

export async function loadWindow(
  sql: Sql,
  store: Readers,
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
  return store.open(rows.reverse().map((r) => toStoredEvent(store.catalog, r)));
}
