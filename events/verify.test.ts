import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db, Sql } from "../db/client.ts";
import { inc, meta, testCatalog } from "../test/fixtures/events.ts";
import { dbCases } from "../test/helpers/db.ts";
import { createEventStore, type EventStore } from "./store.ts";
import { verifyChains } from "./verify.ts";

/** Rewrites history the way an attacker with superuser rights could: around the trigger. */
const tamper = (db: Db, sql: string, params: unknown[] = []) =>
  db.transaction(async (tx: Sql) => {
    await tx.query("SET LOCAL session_replication_role = replica");
    await tx.query(sql, params);
  });

describe.each(dbCases())("chain verification on $name", ({ make }) => {
  let db: Db;
  let store: EventStore;
  beforeEach(async () => {
    db = await make();
    store = createEventStore({ db, catalog: testCatalog() });
    await store.append("counter-a", "no_stream", [inc(1), inc(2), inc(3)], meta);
    await store.append("counter-b", "no_stream", [inc(4)], meta);
  });
  afterEach(() => db.close());

  it("passes an untouched log", async () => {
    expect(await verifyChains(db)).toEqual({ streams: 2, events: 4, breaks: [] });
  });

  it("finds an edited field at its exact link, with the expected and found hash", async () => {
    await tamper(
      db,
      `UPDATE events SET data = '{"by": 300, "note": ""}' WHERE stream_id = 'counter-a' AND stream_version = 2`,
    );
    const report = await verifyChains(db);
    expect(report.breaks).toHaveLength(1);
    const [b] = report.breaks;
    expect(b).toMatchObject({ streamId: "counter-a", version: 2, reason: "hash_mismatch" });
    expect(b!.expected).toMatch(/^[0-9a-f]{64}$/);
    expect(b!.found).toMatch(/^[0-9a-f]{64}$/);
    expect(b!.expected).not.toBe(b!.found);
  });

  it("finds a metadata or timestamp rewrite", async () => {
    await tamper(
      db,
      `UPDATE events SET metadata = jsonb_set(metadata, '{actor}', '"user:mallory"') WHERE stream_id = 'counter-b'`,
    );
    expect((await verifyChains(db)).breaks).toMatchObject([
      { streamId: "counter-b", version: 1, reason: "hash_mismatch" },
    ]);
  });

  it("finds a deleted event in the middle and at the end", async () => {
    await tamper(db, "DELETE FROM events WHERE stream_id = 'counter-a' AND stream_version = 2");
    await tamper(db, "DELETE FROM events WHERE stream_id = 'counter-b'");
    const report = await verifyChains(db);
    expect(report.breaks).toMatchObject([
      { streamId: "counter-a", version: 2, reason: "version_gap" },
      { streamId: "counter-b", reason: "head_mismatch" },
    ]);
  });

  it("finds a dropped last event through the stream's head", async () => {
    // Every remaining link still holds; only the head on the stream row disagrees.
    await tamper(db, "DELETE FROM events WHERE stream_id = 'counter-a' AND stream_version = 3");
    expect((await verifyChains(db)).breaks).toMatchObject([
      { streamId: "counter-a", reason: "head_mismatch" },
    ]);
  });
});
