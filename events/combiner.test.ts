/**
 * The write combiner (events/combiner.ts): appends of different streams that
 * queue behind one in flight share one statement and one commit, and each keeps
 * its own expected-version check, its own chain and its own failure. One batch in
 * flight at a time makes the batching deterministic: the first append goes
 * alone, everything started meanwhile goes together in the next statement.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { dbCases } from "../test/helpers/db.ts";
import { appendOne, createAppendCombiner } from "./combiner.ts";
import { canonicalEnvelope, GENESIS_HASH } from "./envelope.ts";
import { ConcurrencyError } from "./errors.ts";
import { createEventStore, type EventStore } from "./store.ts";
import type { AppendResult } from "./types.ts";
import { verifyChains } from "./verify.ts";

const settled = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);
const txOf = (r: PromiseSettledResult<AppendResult>) =>
  r.status === "fulfilled" ? r.value.events[0]!.position.txId : undefined;

describe.each(dbCases())("write combiner on $name", ({ make }) => {
  let db: Db;
  let store: EventStore;
  beforeEach(async () => {
    db = await make();
    store = createEventStore({ db, catalog: testCatalog(), combine: { maxInFlight: 1 } });
  });
  afterEach(() => db.close());

  it("lands concurrent appends to different streams in shared commits, every chain intact", async () => {
    // Round 1 creates 12 streams, round 2 appends at their exact versions.
    for (const expected of ["no_stream", 1] as const) {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.append(`counter-${i}`, expected, [inc(i + 1)], meta)),
      );
      expect(results.map((r) => r.version)).toEqual(Array(12).fill(expected === "no_stream" ? 1 : 2));
      // Combined: far fewer transactions than appends (the first alone, the rest together).
      expect(new Set(results.map((r) => r.events[0]!.position.txId)).size).toBeLessThan(12);
    }
    const report = await verifyChains(db);
    expect(report).toMatchObject({ streams: 12, events: 24, breaks: [] });
    // Each stream's row holds its own head, and each returned position is its own row.
    const rows = await db.query<{ stream_id: string; id: number; prev_hash: Uint8Array }>(
      "SELECT stream_id, id, prev_hash FROM events WHERE stream_version = 1",
    );
    for (const r of rows) expect(new Uint8Array(r.prev_hash)).toEqual(GENESIS_HASH);
  });

  it("fails only the append whose expected version is wrong; the others of its batch commit", async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.append(`counter-${i}`, "no_stream", [inc()], meta)),
    );
    const results = await settled([
      store.append("counter-0", 1, [inc(2)], meta), // sent alone
      store.append("counter-1", 1, [inc(2)], meta),
      store.append("counter-2", 7, [inc(2)], meta), // wrong: the stream is at 1
      store.append("counter-3", "no_stream", [inc(2)], meta), // wrong: it exists
      store.append("counter-4", 1, [inc(2)], meta),
      store.append("counter-new", "no_stream", [inc(2)], meta),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    for (const i of [2, 3])
      expect((results[i] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    // The survivors of the batch committed together.
    expect(txOf(results[1]!)).toBe(txOf(results[4]!));
    expect(txOf(results[1]!)).toBe(txOf(results[5]!));
    expect((await store.readStream("counter-2")).length).toBe(1);
    expect((await store.readStream("counter-3")).length).toBe(1);
    expect((await store.readStream("counter-4")).length).toBe(2);
    expect((await verifyChains(db)).breaks).toEqual([]);
  });

  it("lets exactly one of several batched appends at one version win, the others conflict", async () => {
    await store.append("counter-1", "no_stream", [inc()], meta);
    const results = await settled([
      store.append("counter-0", "no_stream", [inc()], meta), // sent alone; the rest batch
      ...Array.from({ length: 8 }, (_, i) => store.append("counter-1", 1, [inc(i + 1)], meta)),
    ]);
    const rest = results.slice(1);
    expect(rest.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of rest.filter((r) => r.status === "rejected"))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream("counter-1")).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it("fails only the append that reuses an event id", async () => {
    const eventId = "0190a0a0-0000-7000-8000-000000000001";
    await store.append("counter-a", "no_stream", [{ ...inc(), eventId }], meta);
    const results = await settled([
      store.append("counter-0", "no_stream", [inc()], meta),
      store.append("counter-b", "no_stream", [inc()], meta),
      store.append("counter-c", "no_stream", [{ ...inc(), eventId }], meta),
      store.append("counter-d", "no_stream", [inc()], meta),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersion("counter-c")).toBe(0);
    expect(await store.streamVersion("counter-d")).toBe(1);
  });

  it("still hashes in the database: a forged envelope in a batch is refused alone, the chain untouched", async () => {
    await store.append("counter-1", "no_stream", [inc()], meta);
    const combiner = createAppendCombiner(db, { maxInFlight: 1 });
    const envelope = (streamId: string, version: number) =>
      canonicalEnvelope({
        stream_id: streamId,
        stream_version: version,
        event_id: crypto.randomUUID(),
        type: "CounterIncremented",
        schema_version: 2,
        data: { by: 1, note: "" },
        metadata: meta,
        recorded_at: new Date().toISOString(),
      });
    const append = (streamId: string, expected: number, canon: string[]) =>
      combiner.append({ streamId, streamType: "counter", expected, canon });
    const results = await settled([
      append("counter-0", 0, [envelope("counter-0", 1)]),
      // Claims version 5 of counter-1, which is at 1: the database refuses the envelope.
      append("counter-1", 1, [envelope("counter-1", 5)]),
      // Claims to be another stream's event.
      append("counter-2", 0, [envelope("counter-9", 1)]),
      append("counter-3", 0, [envelope("counter-3", 1)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    for (const i of [1, 2])
      expect((results[i] as PromiseRejectedResult).reason).toMatchObject({ code: "VG003" });
    expect(await store.streamVersion("counter-1")).toBe(1);
    expect(await store.streamVersion("counter-2")).toBe(0);
    expect((await verifyChains(db)).breaks).toEqual([]);
    // The single-append path refuses the same forgery.
    await expect(
      appendOne(db, {
        streamId: "counter-1",
        streamType: "counter",
        expected: 1,
        canon: [envelope("counter-1", 5)],
      }),
    ).rejects.toMatchObject({ code: "VG003" });
  });

  it("keeps combined events immutable", async () => {
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => store.append(`counter-${i}`, "no_stream", [inc()], meta)),
    );
    await expect(db.query("UPDATE events SET data = '{}'::jsonb")).rejects.toMatchObject({ code: "VG002" });
    await expect(db.query("DELETE FROM events")).rejects.toMatchObject({ code: "VG002" });
    await expect(db.query("TRUNCATE events")).rejects.toMatchObject({ code: "VG002" });
    expect((await verifyChains(db)).events).toBe(4);
  });

  it("settles every caller when the whole statement fails, and keeps working after", async () => {
    const combiner = createAppendCombiner(db, { maxInFlight: 1 });
    // Mismatched counts are a bug in the caller, refused before anything is written.
    const bad = db.query(
      "SELECT * FROM vigil_append_many($1::text::text[], $2::text::text[], $3::text::bigint[], $4::text::int[], $5::text::text[])",
      ["{a,b}", "{a,b}", "{0,0}", "{1,1}", "{x}"],
    );
    await expect(bad).rejects.toMatchObject({ code: "VG003" });
    const ok = await Promise.all(
      [1, 2, 3].map((i) =>
        combiner.append({
          streamId: `counter-${i}`,
          streamType: "counter",
          expected: 0,
          canon: [
            canonicalEnvelope({
              stream_id: `counter-${i}`,
              stream_version: 1,
              event_id: crypto.randomUUID(),
              type: "CounterIncremented",
              schema_version: 2,
              data: { by: i, note: "" },
              metadata: meta,
              recorded_at: new Date().toISOString(),
            }),
          ],
        }),
      ),
    );
    expect(ok.map((r) => r.version)).toEqual([1, 1, 1]);
  });
});
