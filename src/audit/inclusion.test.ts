/**
 * Inclusion proofs as served: every one verifies against the root of the leaves
 * straight from the log, at sizes on and off tile and power-of-two boundaries;
 * once the node cache is warm a proof is one query; the floor rises with the
 * tree and nodes stored after the warm-up are fetched when first needed.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db, Sql } from "../../db/client.ts";
import { leafHash, rootOfLeaves, verifyInclusion } from "../../events/ledger/merkle.ts";
import { signNote } from "../../events/ledger/note.ts";
import { createSequencer } from "../../events/ledger/sequencer.ts";
import { NodeCache } from "../../events/ledger/tree-store.ts";
import { createEventStore } from "../../events/store.ts";
import { inc, meta, testCatalog } from "../../test/fixtures/events.ts";
import { dbCases, pgliteDb, settle } from "../../test/helpers/db.ts";
import { AppError } from "../http/errors.ts";
import { InclusionProofs, inclusionJson } from "./inclusion.ts";

const ORIGIN = "test.example/ledger";
const secretKey = ed25519.utils.randomSecretKey();
const sign = async (text: string) => ({ note: signNote(text, [{ name: ORIGIN, secretKey }]), keyId: "test" });

beforeAll(async () => {
  await (await pgliteDb()).close();
}, 180_000);

/** Counts the queries a Sql runs. */
function counting(db: Sql) {
  const c = {
    queries: 0,
    query<T>(text: string, params?: readonly unknown[]) {
      c.queries++;
      return db.query<T>(text, params);
    },
  };
  return c;
}

async function ledgerOf(db: Db, events: number, checkpointEvery: number) {
  const store = createEventStore({ db, catalog: testCatalog() });
  for (let i = 0; i < events; i++) await store.append(`counter-${i % 5}`, "any", [inc(i + 1)], meta);
  await settle(db);
  const seq = createSequencer({
    db,
    origin: ORIGIN,
    sign,
    batchSize: 17,
    checkpointEveryEvents: checkpointEvery,
  });
  while ((await seq.step()) > 0);
  const log = await db.query<{ hash: Uint8Array }>("SELECT hash FROM events ORDER BY tx_id, id");
  const entries = await db.query<{ event_id: string }>(
    "SELECT event_id FROM ledger_entries ORDER BY position",
  );
  return { leaves: log.map((r) => leafHash(new Uint8Array(r.hash))), ids: entries.map((e) => e.event_id) };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (err) => (err instanceof AppError ? err.code : String(err)),
  );

for (const c of dbCases()) {
  describe(`inclusion proofs (${c.name})`, () => {
    it("verify at every size tried, and cost one query each once warm", async () => {
      const db = await c.make();
      try {
        const { leaves, ids } = await ledgerOf(db, 150, 1000);
        const sql = counting(db);
        // Floor 2: tiles of 4 leaves, so 150 leaves have full tiles, a ragged edge and cached levels.
        const proofs = new InclusionProofs(sql, new NodeCache(2));
        for (const size of [1, 2, 3, 4, 5, 64, 65, 127, 128, 149, 150]) {
          const root = rootOfLeaves(leaves.slice(0, size));
          for (let i = 0; i < size; i++) {
            const p = await proofs.prove(ids[i]!, size);
            expect(p.position).toBe(i);
            expect(new Uint8Array(p.leaf.hash)).toEqual(leaves[i]);
            expect(new Uint8Array(p.root.hash)).toEqual(root);
            expect(
              verifyInclusion(
                p.leaf.hash,
                i,
                size,
                p.path.map((h) => h.hash),
                root,
              ),
            ).toBe(true);
          }
        }
        // Warm (the cache holds levels 2 and up): a leaf whose tile is whole, in a tree whose
        // right edge was hashed before, needs only its own round trip.
        sql.queries = 0;
        for (const i of [0, 5, 77, 143]) await proofs.prove(ids[i]!, 150);
        expect(sql.queries).toBe(4);
      } finally {
        await db.close();
      }
    });

    it("attach the size's checkpoint, default to the latest, and refuse what is not there", async () => {
      const db = await c.make();
      try {
        const { leaves, ids } = await ledgerOf(db, 40, 10);
        const proofs = new InclusionProofs(db);
        const latest = await proofs.prove(ids[3]!);
        expect(latest.size).toBe(40);
        expect(latest.checkpoint?.treeSize).toBe(40);
        // The body as served: the schema's fields, every hash in hex, the checkpoint as stored.
        expect(JSON.parse(inclusionJson(latest))).toEqual({
          eventId: ids[3],
          leafIndex: 3,
          treeSize: 40,
          leafHash: Buffer.from(leaves[3]!).toString("hex"),
          auditPath: latest.path.map((h) => Buffer.from(h.hash).toString("hex")),
          rootHash: Buffer.from(rootOfLeaves(leaves)).toString("hex"),
          checkpoint: latest.checkpoint,
        });
        expect(latest.path.length).toBeGreaterThan(0);
        expect(new Uint8Array(latest.root.hash)).toEqual(rootOfLeaves(leaves));
        // Signed every 10 events.
        const at = await proofs.prove(ids[3]!, 30);
        expect(at.checkpoint?.treeSize).toBe(30);
        // Asked again, from memory: the same checkpoint.
        expect((await proofs.prove(ids[4]!, 30)).checkpoint).toEqual(at.checkpoint);
        expect((await proofs.prove(ids[3]!, 29)).checkpoint).toBeUndefined();
        expect(await code(proofs.prove("00000000-0000-4000-8000-000000000000", 5))).toBe("not_found");
        expect(await code(proofs.prove(ids[3]!, 41))).toBe("unprocessable");
        expect(await code(proofs.prove(ids[30]!, 30))).toBe("unprocessable");
        expect(await code(proofs.prove(ids[0]!, 0))).toBe("unprocessable");
      } finally {
        await db.close();
      }
    });

    it("keep working as the tree outgrows the warm cache and the cache's room", async () => {
      const db = await c.make();
      try {
        const store = createEventStore({ db, catalog: testCatalog() });
        const first = await ledgerOf(db, 60, 1000);
        // Room for 32 nodes: the floor rises from 1 as the tree grows past 32 leaves.
        const nodes = new NodeCache(1, 32);
        const proofs = new InclusionProofs(db, nodes);
        await proofs.prove(first.ids[0]!, 60);
        expect(nodes.floor).toBeGreaterThan(1);
        for (let i = 0; i < 50; i++) await store.append("counter-late", "any", [inc(i + 1)], meta);
        const { leaves, ids } = await ledgerOf(db, 0, 1000);
        expect(ids).toHaveLength(110);
        const root = rootOfLeaves(leaves);
        for (let i = 0; i < 110; i++) {
          const p = await proofs.prove(ids[i]!, 110);
          expect(
            verifyInclusion(
              p.leaf.hash,
              i,
              110,
              p.path.map((h) => h.hash),
              root,
            ),
          ).toBe(true);
        }
        expect(nodes.size).toBeLessThanOrEqual(2 * 32);
      } finally {
        await db.close();
      }
    });
  });
}
