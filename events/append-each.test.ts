/**
 * vigil_append_each (db/migrations/0016), the combiner's set-based batch:
 * every append's checks are enforced by the database, and any failure rolls
 * the whole statement back, so the combiner can send the batch again through
 * vigil_append_many, each append on its own.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { dbCases } from "../test/helpers/db.ts";
import { appendOne, pgTextArray } from "./combiner.ts";
import { canonicalEnvelope, linkHash, sameBytes } from "./envelope.ts";
import { ConcurrencyError } from "./errors.ts";
import { createEventStore } from "./store.ts";
import { verifyChains } from "./verify.ts";

const EACH =
  "SELECT ids, tx_id::text AS tx_id, version, head_hash, err_code FROM vigil_append_each($1::text::text[], $2::text::text[], $3::text::bigint[], $4::text::text[])";

const envelope = (streamId: string, version: number, eventId: string = crypto.randomUUID()) =>
  canonicalEnvelope({
    stream_id: streamId,
    stream_version: version,
    event_id: eventId,
    type: "CounterIncremented",
    schema_version: 2,
    data: { by: 1, note: "" },
    metadata: meta,
    recorded_at: new Date().toISOString(),
  });

interface Each {
  ids: number[];
  tx_id: string;
  version: number;
  head_hash: Uint8Array;
  err_code: string | null;
}

describe.each(dbCases())("vigil_append_each on $name", ({ make }) => {
  let db: Db;
  beforeEach(async () => {
    db = await make();
  });
  afterEach(() => db.close());

  const each = (appends: { stream: string; expected: number; canon: string }[]) =>
    db.query<Each>(EACH, [
      pgTextArray(appends.map((a) => a.stream)),
      pgTextArray(appends.map(() => "counter")),
      `{${appends.map((a) => a.expected).join(",")}}`,
      pgTextArray(appends.map((a) => a.canon)),
    ]);
  const version = async (stream: string) =>
    (await db.query<{ version: number }>("SELECT version FROM streams WHERE stream_id = $1", [stream]))[0]
      ?.version ?? 0;

  it("creates and extends streams in one statement, each chained from its own head", async () => {
    const first = await appendOne(db, {
      streamId: "counter-a",
      streamType: "counter",
      expected: 0,
      canon: [envelope("counter-a", 1)],
    });
    const canonA = envelope("counter-a", 2);
    const rows = await each([
      { stream: "counter-a", expected: 1, canon: canonA },
      { stream: "counter-b", expected: 0, canon: envelope("counter-b", 1) },
    ]);
    expect(rows.map((r) => [r.version, r.err_code])).toEqual([
      [2, null],
      [1, null],
    ]);
    expect(rows[0]!.tx_id).toBe(rows[1]!.tx_id);
    const expected = linkHash(new Uint8Array(first.head_hash), canonA);
    expect(sameBytes(new Uint8Array(rows[0]!.head_hash), expected)).toBe(true);
    const stored = await db.query<{ id: number; stream_id: string }>(
      "SELECT id, stream_id FROM events ORDER BY stream_id, stream_version",
    );
    expect(rows.map((r) => r.ids)).toEqual([[stored[1]!.id], [stored[2]!.id]]);
    expect(await verifyChains(db)).toMatchObject({ streams: 2, events: 3, breaks: [] });
  });

  it("commits nothing of the batch when one append fails any check", async () => {
    await appendOne(db, {
      streamId: "counter-a",
      streamType: "counter",
      expected: 0,
      canon: [envelope("counter-a", 1)],
    });
    const eventId = crypto.randomUUID();
    await appendOne(db, {
      streamId: "counter-x",
      streamType: "counter",
      expected: 0,
      canon: [envelope("counter-x", 1, eventId)],
    });
    const ok = { stream: "counter-ok", expected: 0, canon: envelope("counter-ok", 1) };
    const cases: [string, { stream: string; expected: number; canon: string }][] = [
      ["VG001", { stream: "counter-a", expected: 3, canon: envelope("counter-a", 4) }], // the stream is at 1
      ["VG001", { stream: "counter-n", expected: 1, canon: envelope("counter-n", 2) }], // no such stream
      ["23505", { stream: "counter-a", expected: 0, canon: envelope("counter-a", 1) }], // it exists
      ["VG003", { stream: "counter-a", expected: 1, canon: envelope("counter-a", 5) }], // forged version
      ["VG003", { stream: "counter-b", expected: 0, canon: envelope("counter-z", 1) }], // another stream's
      ["23505", { stream: "counter-c", expected: 0, canon: envelope("counter-c", 1, eventId) }], // reused id
    ];
    for (const [code, bad] of cases) {
      const batch = [ok, bad].sort((x, y) => (x.stream < y.stream ? -1 : 1));
      await expect(each(batch)).rejects.toMatchObject({ code });
    }
    // One stream twice is vigil_append_many's business.
    await expect(
      each([
        { stream: "counter-a", expected: 1, canon: envelope("counter-a", 2) },
        { stream: "counter-a", expected: 2, canon: envelope("counter-a", 3) },
      ]),
    ).rejects.toMatchObject({ code: "VG003" });
    expect(await version("counter-ok")).toBe(0);
    expect(await version("counter-a")).toBe(1);
    expect(await verifyChains(db)).toMatchObject({ streams: 2, events: 2, breaks: [] });
  });

  it("lets exactly one of two racing batches take each stream; the loser's appends fail alone", async () => {
    // Two stores, two combiners: their batches of the same ten streams race in
    // two transactions, and the second to lock finds every version moved.
    const stores = [1, 2].map(() =>
      createEventStore({ db, catalog: testCatalog(), combine: { maxInFlight: 1 } }),
    );
    const streams = Array.from({ length: 10 }, (_, i) => `counter-${i}`);
    await Promise.all(streams.map((s) => stores[0]!.append(s, "no_stream", [inc()], meta)));
    const results = await Promise.allSettled(
      stores.flatMap((store) => streams.map((s) => store.append(s, 1, [inc(2)], meta))),
    );
    for (const [i, s] of streams.entries()) {
      const mine = [results[i]!, results[streams.length + i]!];
      expect(
        mine.filter((r) => r.status === "fulfilled"),
        s,
      ).toHaveLength(1);
      const lost = mine.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConcurrencyError);
      expect(await version(s)).toBe(2);
    }
    expect(await verifyChains(db)).toMatchObject({ streams: 10, events: 20, breaks: [] });
  });

  it("takes over an `any` writer's version-0 placeholder, as vigil_append does", async () => {
    await db.query(
      "INSERT INTO streams (stream_id, stream_type, version) VALUES ('counter-p', 'counter', 0)",
    );
    const rows = await each([{ stream: "counter-p", expected: 0, canon: envelope("counter-p", 1) }]);
    expect(rows[0]!.version).toBe(1);
    expect(await version("counter-p")).toBe(1);
    expect((await verifyChains(db)).breaks).toEqual([]);
  });
});
