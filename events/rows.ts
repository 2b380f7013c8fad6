/**
 * How a row of `events` becomes a StoredEvent: the one mapping every reader of
 * the log uses (the store, replay, the threat windows, the monitoring API), so
 * upcasting can never be skipped by one of them.
 */
import type { Catalog } from "./catalog/catalog.ts";
import type { EventMetadata, StoredEvent } from "./types.ts";

/** The columns `toStoredEvent` needs, optionally qualified by a table alias. */
export function eventColumns(alias?: string): string {
  const p = alias ? `${alias}.` : "";
  return `${p}id, ${p}tx_id::text AS tx_id, ${p}stream_id, ${p}stream_version, ${p}event_id, ${p}type, ${p}schema_version, ${p}data, ${p}metadata, ${p}recorded_at`;
}

export interface EventRow {
  id: number;
  tx_id: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

export function toStoredEvent(catalog: Catalog, r: EventRow): StoredEvent {
  const up = catalog.upcast(r.type, r.schema_version, r.data);
  return {
    position: { txId: r.tx_id, id: r.id },
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    eventId: r.event_id,
    type: r.type,
    schemaVersion: up.version,
    data: up.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at,
  };
}
