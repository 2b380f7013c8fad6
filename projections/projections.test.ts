import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { createEventStore, type EventStore } from "../events/store.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { counterLogAsync, countersInline, createCounterTables } from "../test/fixtures/projections.ts";
import { dbCases, settle } from "../test/helpers/db.ts";
import { loadCheckpoint } from "./checkpoints.ts";
import { catchUp, runConsumer } from "./consumer.ts";
import { rebuildProjection, verifyProjections } from "./rebuild.ts";
import { checkpointName, projectionConsumer } from "./runner.ts";

describe.each(dbCases())("projections on $name", ({ make }) => {
  let db: Db;
  let store: EventStore;
  const consumer = projectionConsumer(counterLogAsync);
  beforeEach(async () => {
    db = await make();
    await createCounterTables(db);
    store = createEventStore({ db, catalog: testCatalog(), inline: [countersInline] });
  });
  afterEach(() => db.close());

  const totals = () => db.query("SELECT stream_id, total, resets FROM counters ORDER BY stream_id");
  const logged = async () =>
    (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM counter_log"))[0]!.n;

  it("applies inline projections in the append's transaction", async () => {
    await store.append("counter-1", "no_stream", [inc(2), inc(3)], meta);
    await store.append("counter-1", 2, [{ type: "CounterReset", data: {} }, inc(4)], meta);
    expect(await totals()).toEqual([{ stream_id: "counter-1", total: 4, resets: 1 }]);
  });

  it("rolls the append back when an inline projection fails", async () => {
    await store.append("counter-1", "no_stream", [inc(2)], meta);
    await expect(store.append("counter-1", 1, [inc(5), inc(5000)], meta)).rejects.toThrow(/overflow/);
    expect(await store.readStream("counter-1")).toHaveLength(1);
    expect(await totals()).toEqual([{ stream_id: "counter-1", total: 2, resets: 0 }]);
  });

  it("runs async projections from a checkpoint, exactly once per event", async () => {
    await store.append("counter-1", "no_stream", [inc(1), inc(2)], meta);
    expect(await catchUp({ db, store }, consumer)).toBe(2);
    await store.append("counter-2", "no_stream", [inc(3), { type: "CounterReset", data: {} }], meta);
    expect(await catchUp({ db, store, batchSize: 1 }, consumer)).toBe(2);
    expect(await catchUp({ db, store }, consumer)).toBe(0);
    expect(await logged()).toBe(3);
    const cp = await loadCheckpoint(db, checkpointName(counterLogAsync));
    await settle(db);
    expect(cp.id).toBe((await store.readAll({ txId: "0", id: 0 })).at(-1)!.position.id);
  });

  it("runs a consumer loop that stops cleanly and picks up where it left off", async () => {
    const running = runConsumer({ db, store, pollMs: 10 }, consumer);
    await store.append("counter-1", "no_stream", [inc(1)], meta);
    running.poke();
    await expect.poll(logged, { timeout: 5000 }).toBe(1);
    await running.stop();
    await store.append("counter-1", 1, [inc(2)], meta);
    expect(await catchUp({ db, store }, consumer)).toBe(1);
    expect(await logged()).toBe(2);
  });

  it("rebuilds a projection from the log, and replay verification finds no difference", async () => {
    await store.append("counter-1", "no_stream", [inc(1), inc(2)], meta);
    await store.append("counter-2", "no_stream", [inc(5)], meta);
    await catchUp({ db, store }, consumer);
    expect(await verifyProjections({ db, store }, [countersInline, counterLogAsync])).toEqual([]);
    const before = await totals();
    await db.query("DELETE FROM counters");
    expect(await rebuildProjection({ db, store }, countersInline)).toMatchObject({ events: 3 });
    expect(await totals()).toEqual(before);
    await db.query("DELETE FROM counter_log");
    await rebuildProjection({ db, store }, counterLogAsync);
    expect(await logged()).toBe(3);
    // The checkpoint moved with the rebuild: catching up applies nothing twice.
    expect(await catchUp({ db, store }, consumer)).toBe(0);
    expect(await logged()).toBe(3);
  });

  it("replay verification reports rows that differ from what the log produces", async () => {
    await store.append("counter-1", "no_stream", [inc(1)], meta);
    await store.append("counter-2", "no_stream", [inc(2)], meta);
    await db.query("UPDATE counters SET total = 99 WHERE stream_id = 'counter-1'");
    await db.query("INSERT INTO counters VALUES ('counter-x', 1, 0)");
    const diffs = await verifyProjections({ db, store }, [countersInline]);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({
      projection: "counters",
      table: "counters",
      liveRows: 3,
      rebuiltRows: 2,
    });
    expect(diffs[0]!.onlyLive).toEqual(
      expect.arrayContaining([
        { stream_id: "counter-1", total: 99, resets: 0 },
        { stream_id: "counter-x", total: 1, resets: 0 },
      ]),
    );
    expect(diffs[0]!.onlyRebuilt).toEqual([{ stream_id: "counter-1", total: 1, resets: 0 }]);
    // Verification leaves the live tables as they were.
    expect(await totals()).toHaveLength(3);
  });

  it("replay verification of an async projection stops at its checkpoint", async () => {
    await store.append("counter-1", "no_stream", [inc(1)], meta);
    await catchUp({ db, store }, consumer);
    await store.append("counter-1", 1, [inc(2)], meta); // not yet projected
    expect(await verifyProjections({ db, store }, [counterLogAsync])).toEqual([]);
  });
});
