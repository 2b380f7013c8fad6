/**
 * Reading a stream through a given transaction. The store's own readStream
 * uses the pool; inside a transaction (and on PGlite, whose one connection
 * the transaction holds) reads must go through `tx`.
 */
import type { Sql } from "../../db/client.ts";
import type { Evolver } from "../../events/handle.ts";
import { type EventRow, eventColumns, toStoredEvent } from "../../events/rows.ts";
import type { EventStore } from "../../events/store.ts";

export async function loadIn<S>(
  tx: Sql,
  store: EventStore,
  streamId: string,
  evolver: Evolver<S>,
): Promise<{ state: S; version: number }> {
  const rows = await tx.query<EventRow>(
    `SELECT ${eventColumns()} FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );
  let state = evolver.initialState();
  let version = 0;
  const events = await store.open(
    rows.map((r) => toStoredEvent(store.catalog, r)),
    tx,
  );
  for (const e of events) {
    state = evolver.evolve(state, e);
    version = e.streamVersion;
  }
  return { state, version };
}

/** Holds the stream's row lock for the rest of the transaction (no-op when the stream does not exist yet). */
export async function lockStream(
  tx: Sql,
  streamId: string,
  mode: "UPDATE" | "SHARE" = "UPDATE",
): Promise<void> {
  await tx.query(`SELECT version FROM streams WHERE stream_id = $1 FOR ${mode}`, [streamId]);
}
