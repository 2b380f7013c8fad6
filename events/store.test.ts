import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { dbCases, settle } from "../test/helpers/db.ts";
import { canonicalEnvelope, GENESIS_HASH, linkHash, sameBytes } from "./envelope.ts";
import { ConcurrencyError, EventValidationError, UnknownEventTypeError } from "./errors.ts";
import { createEventStore, type EventStore } from "./store.ts";
import { START } from "./types.ts";

describe.each(dbCases())("event store on $name", ({ make }) => {
  let db: Db;
  let store: EventStore;
  beforeEach(async () => {
    db = await make();
    store = createEventStore({ db, catalog: testCatalog() });
  });
  afterEach(() => db.close());

  it("appends with no_stream, exact and any expected versions", async () => {
    const a = await store.append("counter-1", "no_stream", [inc(1), inc(2)], meta);
    expect(a.version).toBe(2);
    const b = await store.append("counter-1", 2, [inc(3)], meta);
    expect(b.version).toBe(3);
    const c = await store.append("counter-1", "any", [inc(4)], meta);
    expect(c.version).toBe(4);
    const d = await store.append("counter-2", "any", [inc(5)], meta);
    expect(d.version).toBe(1);
    const events = await store.readStream("counter-1");
    expect(events.map((e) => [e.streamVersion, (e.data as { by: number }).by])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    expect(events[0]!.metadata).toEqual(meta);
  });

  it("refuses a wrong expected version with a typed error and stores nothing", async () => {
    await store.append("counter-1", "no_stream", [inc()], meta);
    await expect(store.append("counter-1", "no_stream", [inc()], meta)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    await expect(store.append("counter-1", 5, [inc()], meta)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.append("counter-9", 1, [inc()], meta)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream("counter-1")).toHaveLength(1);
    expect(await store.streamVersion("counter-9")).toBe(0);
  });

  it("lets exactly one of twenty concurrent appends at one expected version win", async () => {
    await store.append("counter-1", "no_stream", [inc()], meta);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.append("counter-1", 1, [inc(i + 1)], meta)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((r) => (r as PromiseRejectedResult).reason instanceof ConcurrencyError)).toBe(true);
    expect(await store.streamVersion("counter-1")).toBe(2);
  });

  it("refuses invalid and unknown events without storing anything", async () => {
    await expect(
      store.append(
        "counter-1",
        "no_stream",
        [inc(), { type: "CounterIncremented", data: { by: -1, note: "" } }],
        meta,
      ),
    ).rejects.toBeInstanceOf(EventValidationError);
    await expect(
      store.append("counter-1", "no_stream", [{ type: "Nope", data: {} }], meta),
    ).rejects.toBeInstanceOf(UnknownEventTypeError);
    await expect(
      store.append("counter-1", "no_stream", [inc()], { ...meta, actor: "" }),
    ).rejects.toBeInstanceOf(EventValidationError);
    expect(await store.readAll(START)).toEqual([]);
  });

  it("treats a reused event id as a conflict, so a retried command cannot append twice", async () => {
    const eventId = crypto.randomUUID();
    await store.append("counter-1", "no_stream", [{ ...inc(), eventId }], meta);
    await expect(store.append("counter-1", 1, [{ ...inc(), eventId }], meta)).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it("chains each stream: hash = SHA-256(prev_hash || canonical envelope), head on the stream row", async () => {
    await store.append("counter-1", "no_stream", [inc(1), inc(2)], meta);
    const rows = await db.query<{
      stream_version: number;
      event_id: string;
      type: string;
      schema_version: number;
      data: unknown;
      metadata: typeof meta;
      recorded_at: Date;
      prev_hash: Uint8Array;
      hash: Uint8Array;
    }>("SELECT * FROM events WHERE stream_id = 'counter-1' ORDER BY stream_version");
    let prev: Uint8Array = GENESIS_HASH;
    for (const r of rows) {
      expect(sameBytes(r.prev_hash, prev)).toBe(true);
      const canon = canonicalEnvelope({
        stream_id: "counter-1",
        stream_version: r.stream_version,
        event_id: r.event_id,
        type: r.type,
        schema_version: r.schema_version,
        data: r.data,
        metadata: r.metadata,
        recorded_at: r.recorded_at.toISOString(),
      });
      const expected = linkHash(prev, canon);
      expect(sameBytes(r.hash, expected)).toBe(true);
      prev = r.hash;
    }
    const [head] = await db.query<{ head_hash: Uint8Array }>(
      "SELECT head_hash FROM streams WHERE stream_id = 'counter-1'",
    );
    expect(sameBytes(head!.head_hash, prev)).toBe(true);
  });

  it("rejects UPDATE, DELETE and TRUNCATE on events", async () => {
    await store.append("counter-1", "no_stream", [inc()], meta);
    await expect(db.query("UPDATE events SET type = 'X'")).rejects.toThrow(/immutable/);
    await expect(db.query("DELETE FROM events")).rejects.toThrow(/immutable/);
    await expect(db.query("TRUNCATE events")).rejects.toThrow(/immutable/);
    expect(await store.readStream("counter-1")).toHaveLength(1);
  });

  it("reads the whole log in (tx_id, id) order, after a position, filtered by type", async () => {
    await store.append("counter-1", "no_stream", [inc(1)], meta);
    await store.append("counter-2", "no_stream", [inc(2), { type: "CounterReset", data: {} }], meta);
    await store.append("counter-1", 1, [inc(3)], meta);
    await settle(db);
    const all = await store.readAll(START);
    expect(all.map((e) => e.type)).toEqual([
      "CounterIncremented",
      "CounterIncremented",
      "CounterReset",
      "CounterIncremented",
    ]);
    const after = await store.readAll(all[1]!.position);
    expect(after.map((e) => e.eventId)).toEqual(all.slice(2).map((e) => e.eventId));
    expect((await store.readAll(START, { types: ["CounterReset"] })).map((e) => e.streamId)).toEqual([
      "counter-2",
    ]);
    expect(await store.readAll(START, { limit: 2 })).toHaveLength(2);
  });

  it("upcasts old schema versions on read", async () => {
    // Written as schema version 1 (no `note`), the way an older Vigil stored it.
    await store.append("counter-1", "no_stream", [inc(1)], meta);
    const [row] = await db.query<{ id: number }>("SELECT id FROM events");
    await db.transaction(async (tx) => {
      await tx.query("SET LOCAL session_replication_role = replica");
      await tx.query(`UPDATE events SET schema_version = 1, data = '{"by": 7}' WHERE id = $1`, [row!.id]);
    });
    const [e] = await store.readStream("counter-1");
    expect(e!.schemaVersion).toBe(2);
    expect(e!.data).toEqual({ by: 7, note: "" });
  });
});
