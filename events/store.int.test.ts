/**
 * Guarantees that only a real Postgres can show: PGlite is one connection, so
 * nothing there is ever concurrent.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { postgresDb, settle, TEST_DATABASE_URL } from "../test/helpers/db.ts";
import { ConcurrencyError } from "./errors.ts";
import { createEventStore, type EventStore } from "./store.ts";
import { START } from "./types.ts";

describe.runIf(TEST_DATABASE_URL)("event store on real Postgres (set TEST_DATABASE_URL to run)", () => {
  let db: Db;
  let store: EventStore;
  beforeEach(async () => {
    db = await postgresDb({ max: 24 });
    store = createEventStore({ db, catalog: testCatalog() });
  });
  afterEach(() => db.close());

  it("delivers an event committed late by a slow transaction, in order, once it commits", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let appendedInSlow!: () => void;
    const slowAppended = new Promise<void>((r) => {
      appendedInSlow = r;
    });
    // The slow transaction appends first (so it holds the lower transaction id)…
    const slow = db.transaction(async (tx) => {
      await store.appendIn(tx, "counter-slow", "no_stream", [inc(1, "slow")], meta);
      appendedInSlow();
      await held;
    });
    await slowAppended;
    // …then a fast one commits after it.
    await store.append("counter-fast", "no_stream", [inc(2, "fast")], meta);

    // While the slow transaction is open, the fence holds back everything after it:
    // a consumer reading now must not move past the slow event.
    expect(await store.readAll(START)).toEqual([]);
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    expect(n).toBe(1); // the fast event is committed and visible to plain reads

    release();
    await slow;
    await settle(db);
    const delivered = await store.readAll(START);
    expect(delivered.map((e) => (e.data as { note: string }).note)).toEqual(["slow", "fast"]);
  });

  it("appends to different streams in parallel without a global lock", async () => {
    // 24 writers, each on its own stream; if appends serialised globally, the
    // held transaction below would block them all.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const blocker = db.transaction(async (tx) => {
      await store.appendIn(tx, "counter-held", "no_stream", [inc()], meta);
      await held;
    });
    await new Promise((r) => setTimeout(r, 50));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.append(`counter-${i}`, "no_stream", [inc(i + 1)], meta)),
    );
    expect(results.every((r) => r.version === 1)).toBe(true);
    release();
    await blocker;
  });

  it("keeps each stream's versions dense under concurrent `any` appends", async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.append("counter-1", "any", [inc(i + 1)], meta)),
    );
    const events = await store.readStream("counter-1");
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("returns each appended event's own log position, even when concurrent batches interleave ids", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.append(
          `counter-${i}`,
          "no_stream",
          Array.from({ length: 25 }, (_, j) => inc(j + 1)),
          meta,
        ),
      ),
    );
    const rows = await db.query<{ event_id: string; id: number }>(
      "SELECT event_id::text AS event_id, id FROM events",
    );
    const idOf = new Map(rows.map((r) => [r.event_id, r.id]));
    const returned = results.flatMap((r) => r.events);
    expect(returned).toHaveLength(300);
    for (const e of returned) expect(e.position.id).toBe(idOf.get(e.eventId));
  });

  // Such a race can deadlock on the new stream's first rows (Postgres then aborts
  // one side); whatever the interleaving, callers see only ConcurrencyError.
  it("creates a new stream raced by `no_stream` and `any` writers without an untyped error", async () => {
    for (let round = 0; round < 2; round++) {
      const stream = `counter-race-${round}`;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.append(stream, i % 2 === 0 ? "no_stream" : "any", [inc(i + 1)], meta),
        ),
      );
      const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      expect(errors.every((e) => e instanceof ConcurrencyError)).toBe(true);
      // Every `any` writer got in; of the creators, at most one did.
      const events = await store.readStream(stream);
      expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));
      expect(events.length).toBe(8 - errors.length);
      expect(events.length).toBeGreaterThanOrEqual(4);
      expect(events.length).toBeLessThanOrEqual(5);
    }
  });
});
