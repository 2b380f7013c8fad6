import { ed25519 } from "@noble/curves/ed25519.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { inc, meta, testCatalog } from "../../test/fixtures/events.ts";
import { dbCases, pgliteDb, settle } from "../../test/helpers/db.ts";
import { createEventStore } from "../store.ts";
import { leafHash, rootOfLeaves, verifyConsistency, verifyInclusion } from "./merkle.ts";
import { ed25519VerifierKey, openCheckpoint, parseVerifierKey, signNote } from "./note.ts";
import { createSequencer, type SequencerOptions } from "./sequencer.ts";
import { consistencyAt, inclusionAt, ledgerSize, NodeCache, rootAt } from "./tree-store.ts";

const ORIGIN = "test.example/ledger";
const secretKey = ed25519.utils.randomSecretKey();
const vkey = parseVerifierKey(ed25519VerifierKey(ORIGIN, ed25519.getPublicKey(secretKey)));
const sign = async (text: string) => ({ note: signNote(text, [{ name: ORIGIN, secretKey }]), keyId: "test" });

/** Every event's leaf hash in log order, straight from the log (the reference). */
async function logLeaves(db: Db): Promise<Uint8Array[]> {
  const rows = await db.query<{ hash: Uint8Array }>("SELECT hash FROM events ORDER BY tx_id, id");
  return rows.map((r) => leafHash(new Uint8Array(r.hash)));
}

/** Sequences everything committed (waiting for the fence: the server is shared). */
async function drain(seq: { step(): Promise<number> }, db: Db): Promise<void> {
  await settle(db);
  while ((await seq.step()) > 0);
}

// The first PGlite is migrated once per worker; on a busy machine that alone can take a while.
beforeAll(async () => {
  await (await pgliteDb()).close();
}, 180_000);

for (const c of dbCases()) {
  describe(`sequencer (${c.name})`, () => {
    let db: Db | undefined;
    afterEach(async () => {
      await db?.close();
      db = undefined;
    });

    async function setup(extra: Partial<SequencerOptions> = {}) {
      db = await c.make();
      const store = createEventStore({ db, catalog: testCatalog() });
      const seq = createSequencer({ db, origin: ORIGIN, sign, batchSize: 7, ...extra });
      return { db, store, seq };
    }

    it("gives every event a dense position in log order and the tree the log's root", async () => {
      const { db, store, seq } = await setup();
      for (let i = 0; i < 40; i++)
        await store.append(`counter-${i % 3}`, "any", [inc(i + 1), inc(i + 2)], meta);
      await drain(seq, db);
      const entries = await db.query<{ position: number; event_id: string }>(
        "SELECT position, event_id FROM ledger_entries ORDER BY position",
      );
      const log = await db.query<{ event_id: string }>("SELECT event_id FROM events ORDER BY tx_id, id");
      expect(entries.map((e) => Number(e.position))).toEqual(log.map((_, i) => i));
      expect(entries.map((e) => e.event_id)).toEqual(log.map((e) => e.event_id));
      const leaves = await logLeaves(db);
      expect(await ledgerSize(db)).toBe(80);
      for (const n of [1, 2, 7, 8, 9, 31, 32, 33, 64, 79, 80]) {
        expect(await rootAt(db, n)).toEqual(rootOfLeaves(leaves.slice(0, n)));
      }
      const root = rootOfLeaves(leaves);
      for (const i of [0, 1, 40, 79]) {
        const p = await inclusionAt(db, i, 80);
        expect(verifyInclusion(p.leafHash, i, 80, p.proof, root)).toBe(true);
      }
      const cons = await consistencyAt(db, 33, 80);
      expect(verifyConsistency(33, 80, cons.proof, cons.root1, root)).toBe(true);
    });

    it("serves the same proofs from its node cache, reading fewer nodes once warm", async () => {
      const { db, store, seq } = await setup();
      for (let i = 0; i < 35; i++) await store.append(`counter-${i % 4}`, "any", [inc(i + 1)], meta);
      await drain(seq, db);
      const leaves = await logLeaves(db);
      // Counts the node rows read from the database, and those above the leaves.
      let read = 0;
      let upper = 0;
      const counting = {
        async query<T>(text: string, params?: readonly unknown[]) {
          const rows = await db.query<T>(text, params);
          if (text.includes("ledger_nodes")) {
            read += rows.length;
            upper += (rows as { level: number }[]).filter((r) => Number(r.level) > 0).length;
          }
          return rows;
        },
      };
      const cache = new NodeCache(1);
      const pass = async () => {
        read = 0;
        upper = 0;
        for (const size of [1, 8, 17, 32, 35]) {
          const root = rootOfLeaves(leaves.slice(0, size));
          for (let i = 0; i < size; i++) {
            const p = await inclusionAt(counting, i, size, cache);
            expect(p.rootHash).toEqual(root);
            expect(verifyInclusion(p.leafHash, i, size, p.proof, root)).toBe(true);
          }
          const from = Math.min(8, size);
          const cons = await consistencyAt(counting, from, size, cache);
          expect(verifyConsistency(from, size, cons.proof, cons.root1, root)).toBe(true);
        }
        return { read, upper };
      };
      const cold = await pass();
      expect(cold.upper).toBeGreaterThan(0);
      const warm = await pass();
      expect(warm.read).toBeLessThan(cold.read);
      // Once warm, only leaves (level 0, below the cache's levels) come from the database.
      expect(warm.upper).toBe(0);
    });

    it("signs a checkpoint at most every N events, verifiable with the public key", async () => {
      const { db, store, seq } = await setup({ checkpointEveryEvents: 10, checkpointIntervalMs: 60_000 });
      for (let i = 0; i < 25; i++) await store.append("counter-a", "any", [inc(i + 1)], meta);
      await drain(seq, db);
      const cps = await db.query<{ tree_size: number; note: string }>(
        "SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size",
      );
      // The first batch (7 events) is signed at once (nothing was signed before), then every 10.
      expect(cps.map((r) => Number(r.tree_size))).toEqual([7, 17]);
      const leaves = await logLeaves(db);
      for (const r of cps) {
        const cp = openCheckpoint(r.note, [vkey], ORIGIN);
        expect(cp.rootHash).toEqual(rootOfLeaves(leaves.slice(0, cp.size)));
      }
      // The rest is signed once the interval has passed (forced here).
      const last = await seq.checkpointIfDue(true);
      expect(last?.size).toBe(25);
      expect(await seq.checkpointIfDue(true)).toBeUndefined();
    });

    it("signs on time while events trickle in", async () => {
      let t = Date.parse("2026-01-01T00:00:00Z");
      const { db, store, seq } = await setup({ clock: () => new Date(t), checkpointIntervalMs: 1000 });
      await store.append("counter-a", "any", [inc()], meta);
      await drain(seq, db);
      // The first batch is signed at once: nothing was signed for a long time.
      expect(await seq.checkpointIfDue()).toBeUndefined();
      await store.append("counter-a", "any", [inc()], meta);
      t += 500;
      await drain(seq, db);
      expect(await seq.checkpointIfDue()).toBeUndefined();
      t += 600;
      expect(await seq.checkpointIfDue()).toMatchObject({ size: 2 });
      const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_checkpoints");
      expect(row?.n).toBe(2);
    });

    it("a restarted sequencer continues the same tree", async () => {
      const { db, store, seq } = await setup();
      for (let i = 0; i < 13; i++) await store.append("counter-a", "any", [inc(i + 1)], meta);
      await drain(seq, db);
      const again = createSequencer({ db, origin: ORIGIN, sign, batchSize: 5 });
      for (let i = 0; i < 20; i++) await store.append("counter-b", "any", [inc(i + 1)], meta);
      await drain(again, db);
      const leaves = await logLeaves(db);
      expect(await rootAt(db, 33)).toEqual(rootOfLeaves(leaves));
      // The first instance's view is stale now: its next batch is refused, and it recovers.
      await store.append("counter-c", "any", [inc()], meta);
      await settle(db);
      await expect(seq.step()).rejects.toThrow(/another sequencer/);
      await drain(seq, db);
      expect(await ledgerSize(db)).toBe(34);
      expect(await rootAt(db, 34)).toEqual(rootOfLeaves(await logLeaves(db)));
    });
  });
}
