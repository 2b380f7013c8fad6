/**
 * Drizzle schema: the source drizzle-kit generates migrations from. The event
 * store itself talks raw SQL (db/client.ts); these definitions keep the tables,
 * their types and their indexes in one reviewed place.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array }>({ dataType: () => "bytea" });
/** 64-bit transaction id: the order in which the log is read (see events/store.ts). */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

export const streams = pgTable("streams", {
  streamId: text("stream_id").primaryKey(),
  streamType: text("stream_type").notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
  headHash: bytea("head_hash"),
});

export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    txId: xid8("tx_id").notNull().default(sql`pg_current_xact_id()`),
    streamId: text("stream_id").notNull(),
    streamVersion: bigint("stream_version", { mode: "number" }).notNull(),
    eventId: uuid("event_id").notNull().unique(),
    type: text("type").notNull(),
    schemaVersion: smallint("schema_version").notNull(),
    data: jsonb("data").notNull(),
    metadata: jsonb("metadata").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true, precision: 3 }).notNull(),
    prevHash: bytea("prev_hash").notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [
    unique("events_stream_version_key").on(t.streamId, t.streamVersion),
    index("events_tx_id_id_idx").on(t.txId, t.id),
  ],
);

/** Where each async consumer (projection, dispatcher) has read up to, as a log position. */
export const checkpoints = pgTable("checkpoints", {
  name: text("name").primaryKey(),
  txId: xid8("tx_id").notNull(),
  eventId: bigint("event_id", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Async projection `event_stats`: events appended per type and hour (feeds /metrics). */
export const eventStats = pgTable(
  "event_stats",
  {
    type: text("type").notNull(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.type, t.hour] })],
);
