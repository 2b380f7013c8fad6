/**
 * The export's view of the ledger on the database: events come as stored, data
 * and metadata as the stored JSON text (never parsed on the way), and an event
 * sealed for an erased person is marked, on PGlite and (TEST_DATABASE_URL) real
 * Postgres.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.ts";
import { createCatalog } from "../../../events/catalog/index.ts";
import { createSequencer } from "../../../events/ledger/sequencer.ts";
import { createPiiCipher } from "../../../events/pii.ts";
import { createEventStore } from "../../../events/store.ts";
import type { EventMetadata } from "../../../events/types.ts";
import { dbCases, settle } from "../../../test/helpers/db.ts";
import type { ExportedEvent } from "../../../verifier/format.ts";
import { createKeyring } from "../../crypto/aead.ts";
import { randomBytes } from "../../crypto/random.ts";
import type { CheckpointKeys } from "../checkpoint-keys.ts";
import { ledgerView } from "./ledger-view.ts";
import { RawJson } from "./lines.ts";

const ada = "0190a0a0-0000-7000-8000-00000000000a";
const bob = "0190a0a0-0000-7000-8000-00000000000b";
const metaOf = (user: string): EventMetadata => ({
  actor: `user:${user}`,
  ip: "203.0.113.7",
  userAgent: "curl/8",
  requestId: null,
  correlationId: null,
  causationId: null,
});

describe.each(dbCases())("the export's ledger view on $name", ({ make }) => {
  let db: Db;
  afterEach(() => db.close());

  it("reads events as stored, in position order, a batch at a time, marking the erased", async () => {
    db = await make();
    const store = createEventStore({
      db,
      catalog: createCatalog(),
      pii: createPiiCipher(createKeyring([{ id: "k1", key: randomBytes(32) }], "k1")),
    });
    for (let i = 0; i < 7; i++) {
      const user = i % 2 === 0 ? ada : bob;
      await store.append(
        `bench-${i}`,
        "no_stream",
        [{ type: "ProjectionRebuilt", data: { projection: `p${i}`, events: i, durationMs: 1.5 } }],
        metaOf(user),
      );
    }
    await settle(db);
    const seq = createSequencer({ db, origin: "t/ledger", sign: async (t) => ({ note: t, keyId: "k" }) });
    while ((await seq.step()) > 0);
    await db.transaction((tx) => store.forget(tx, `user-${ada}`));

    const view = ledgerView({ db, origin: "t/ledger", keys: {} as CheckpointKeys, batch: 3 });
    const batches: (readonly ExportedEvent[])[] = [];
    for await (const b of view.events(1, 7)) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([3, 3]);
    const events = batches.flat();
    expect(events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6]);

    const stored = await db.query<{
      event_id: string;
      data: unknown;
      metadata: unknown;
      recorded_at: Date | string;
      prev_hash: Uint8Array;
      hash: Uint8Array;
    }>("SELECT event_id::text AS event_id, data, metadata, recorded_at, prev_hash, hash FROM events");
    const byId = new Map(stored.map((r) => [r.event_id, r]));
    for (const e of events) {
      const row = byId.get(e.event_id)!;
      expect(e.data).toBeInstanceOf(RawJson);
      expect(JSON.parse((e.data as RawJson).text)).toEqual(row.data);
      expect(JSON.parse((e.metadata as RawJson).text)).toEqual(row.metadata);
      expect(e.hash).toBe(Buffer.from(row.hash).toString("hex"));
      // Formatted by the database exactly as the driver's Date and bytes would be.
      expect(e.prev_hash).toBe(Buffer.from(row.prev_hash).toString("hex"));
      expect(e.recorded_at).toBe(new Date(row.recorded_at).toISOString());
      // The IP is sealed (ciphertext exported as stored); Ada's is unreadable now.
      expect((row.metadata as { ip: string }).ip.startsWith("pii:")).toBe(true);
      const actor = (row.metadata as { actor: string }).actor;
      expect(e.erased).toBe(actor === `user:${ada}`);
    }
    expect(events.some((e) => e.erased)).toBe(true);
    expect(events.some((e) => !e.erased)).toBe(true);
  });
});
