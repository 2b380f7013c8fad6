/**
 * The live tail's reads: the newest matching events for the page, and the
 * events committed after a position for the stream. The stream reads oldest
 * first behind the same fence as projections (transactions older than every
 * running one), so an event that commits late is not skipped; it starts at
 * the fence, so it may repeat what the page already shows (the script skips
 * event ids it has). Type and actor filter in SQL; the IP after the personal
 * data is opened (it is sealed in the log).
 */
import { toStoredEvent } from "../../events/rows.ts";
import type { StoredEvent } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { redact } from "../security/monitoring/events.ts";

export interface TailFilter {
  types: string[];
  actor?: string | undefined;
  ip?: string | undefined;
}

export interface TailRow {
  eventId: string;
  type: string;
  recordedAt: string;
  actor: string;
  ip: string | null;
  streamId: string;
  data: string;
}

const TYPE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Filter values from a query string: at most 20 well-formed types, bounded actor and IP. */
export function tailFilter(q: {
  type?: string | undefined;
  actor?: string | undefined;
  ip?: string | undefined;
}): TailFilter {
  const types = (q.type ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => TYPE.test(t))
    .slice(0, 20);
  const actor = q.actor?.trim().slice(0, 200) || undefined;
  const ip = q.ip?.trim().slice(0, 64) || undefined;
  return { types, actor, ip };
}

export type Position = [txId: string, id: string];

type Row = Parameters<typeof toStoredEvent>[1];
const COLUMNS = `id, tx_id::text AS tx_id, stream_id, stream_version, event_id, type, schema_version, data,
  metadata, recorded_at`;

function where(f: TailFilter, params: unknown[]): string[] {
  const w: string[] = [];
  if (f.types.length) {
    params.push(f.types.join(","));
    w.push(`type = ANY(string_to_array($${params.length}::text, ','))`);
  }
  if (f.actor) {
    params.push(f.actor);
    w.push(`metadata->>'actor' = $${params.length}`);
  }
  return w;
}

function toRow(e: StoredEvent): TailRow {
  const data = JSON.stringify(redact(e.data));
  return {
    eventId: e.eventId,
    type: e.type,
    recordedAt: e.recordedAt.toISOString(),
    actor: String(e.metadata.actor ?? ""),
    ip: (e.metadata.ip as string | null | undefined) ?? null,
    streamId: e.streamId,
    data: data.length > 300 ? `${data.slice(0, 299)}…` : data,
  };
}

async function open(deps: AppDeps, rows: Row[], f: TailFilter): Promise<TailRow[]> {
  const events = await deps.store.open(rows.map((r) => toStoredEvent(deps.store.catalog, r)));
  return events.map(toRow).filter((r) => !f.ip || r.ip === f.ip);
}

/** The newest matching events (newest first), from the last `scan` rows of the log at most. */
export async function recentEvents(
  deps: AppDeps,
  f: TailFilter,
  limit = 50,
  scan = 5000,
): Promise<TailRow[]> {
  const params: unknown[] = [scan];
  const w = where(f, params);
  const rows = await deps.db.query<Row>(
    `SELECT * FROM (SELECT ${COLUMNS} FROM events ORDER BY tx_id DESC, id DESC LIMIT $1) recent
     ${w.length ? `WHERE ${w.join(" AND ")}` : ""} ORDER BY tx_id DESC, id DESC`,
    params,
  );
  return (await open(deps, rows, f)).slice(0, limit);
}

/** Where a new stream starts: the fence (everything before it is committed and on the page already). */
export async function fence(deps: AppDeps): Promise<Position> {
  const [r] = await deps.db.query<{ x: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x");
  return [r!.x, "0"];
}

/** Events committed after `after`, oldest first, behind the fence; and the position to continue from. */
export async function eventsAfter(
  deps: AppDeps,
  f: TailFilter,
  after: Position,
  limit = 200,
): Promise<{ rows: TailRow[]; next: Position }> {
  // Unfiltered in SQL: the position must move past the events the filter drops too.
  const raw = await deps.db.query<Row>(
    `SELECT ${COLUMNS} FROM events
     WHERE (tx_id, id) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY tx_id, id LIMIT $3`,
    [after[0], after[1], limit],
  );
  const last = raw.at(-1);
  const next: Position = last ? [String(last.tx_id), String(last.id)] : after;
  const types = new Set(f.types);
  const kept = raw.filter(
    (r) =>
      (!types.size || types.has(r.type)) &&
      (!f.actor || (r.metadata as { actor?: string } | null)?.actor === f.actor),
  );
  return { rows: await open(deps, kept, f), next };
}
