/**
 * The sequencer against real Postgres: two racing without the lock, a standby
 * taking over from a dead holder, and a sequencer process SIGKILLed mid-batch
 * again and again. Whatever happens the positions stay dense (0…n-1), unique,
 * in log order, and the tree's root is the log's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ed25519 } from "@noble/curves/ed25519.js";
import { afterEach, describe, expect, it } from "vitest";
import { createPostgresDb, type Db } from "../../db/client.ts";
import { inc, meta, testCatalog } from "../../test/fixtures/events.ts";
import { postgresDb, settle, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import { createEventStore } from "../store.ts";
import { leafHash, rootOfLeaves } from "./merkle.ts";
import { signNote } from "./note.ts";
import { runSequencer } from "./sequencer.ts";
import { ledgerSize, rootAt } from "./tree-store.ts";

const ORIGIN = "test.example/ledger";
const secretKey = ed25519.utils.randomSecretKey();
const sign = async (text: string) => ({ note: signNote(text, [{ name: ORIGIN, secretKey }]), keyId: "t" });
const CHILD = new URL("./testing/sequencer-process.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Dense, unique, in log order, and the stored tree's root is the log's. */
async function expectLedgerMatchesLog(db: Db): Promise<void> {
  const log = await db.query<{ event_id: string; hash: Uint8Array }>(
    "SELECT event_id, hash FROM events ORDER BY tx_id, id",
  );
  const entries = await db.query<{ position: number; event_id: string }>(
    "SELECT position, event_id FROM ledger_entries ORDER BY position",
  );
  expect(entries.length).toBe(log.length);
  expect(entries.map((e) => Number(e.position))).toEqual(log.map((_, i) => i));
  expect(entries.map((e) => e.event_id)).toEqual(log.map((e) => e.event_id));
  const [nodes] = await db.query<{ dup: number }>(
    "SELECT count(*) - count(DISTINCT (level, idx)) AS dup FROM ledger_nodes",
  );
  expect(Number(nodes?.dup)).toBe(0);
  expect(await rootAt(db, log.length)).toEqual(
    rootOfLeaves(log.map((r) => leafHash(new Uint8Array(r.hash)))),
  );
}

/** A second pool on the same schema: another "process" of the same deployment. */
async function samePlace(db: Db): Promise<{ db: Db; schema: string }> {
  const [row] = await db.query<{ schema: string }>("SELECT current_schema() AS schema");
  return {
    db: createPostgresDb({ url: TEST_DATABASE_URL!, schema: row!.schema, max: 4 }),
    schema: row!.schema,
  };
}

describe.runIf(TEST_DATABASE_URL)("sequencer on real Postgres", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it("two sequencers racing without the lock keep positions dense and unique", async () => {
    const db = await postgresDb();
    closers.push(() => db.close());
    const other = await samePlace(db);
    closers.push(() => other.db.close());
    const store = createEventStore({ db, catalog: testCatalog() });
    const opts = { origin: ORIGIN, sign, batchSize: 17, pollMs: 5, exclusive: false } as const;
    const a = runSequencer({ ...opts, db });
    const b = runSequencer({ ...opts, db: other.db });
    closers.push(async () => {
      await Promise.race([a.stop(), new Promise((r) => setTimeout(r, 10_000))]);
      await b.stop();
    });
    // Four writers appending while both sequencers run.
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; i < 60; i++)
          await store.append(`counter-${w}`, "any", [inc(i + 1), inc(i + 2)], meta);
      }),
    );
    await settle(db);
    await until(async () => (await ledgerSize(db)) === 480, 60_000, "the ledger to reach 480");
    await a.stop();
    await b.stop();
    await expectLedgerMatchesLog(db);
  });

  it("a standby takes over when the lock holder dies", async () => {
    const db = await postgresDb();
    closers.push(() => db.close());
    const other = await samePlace(db);
    closers.push(() => other.db.close());
    const store = createEventStore({ db, catalog: testCatalog() });
    const batches = { a: 0, b: 0 };
    const opts = { origin: ORIGIN, sign, batchSize: 10, pollMs: 5 } as const;
    const a = runSequencer({ ...opts, db, onBatch: () => void batches.a++ });
    // Let `a` take the lock first.
    await new Promise((r) => setTimeout(r, 300));
    const b = runSequencer({ ...opts, db: other.db, onBatch: () => void batches.b++ });
    closers.push(async () => {
      await Promise.race([a.stop(), new Promise((r) => setTimeout(r, 10_000))]);
      await b.stop();
    });
    for (let i = 0; i < 30; i++) await store.append("counter-a", "any", [inc(i + 1)], meta);
    await settle(db);
    await until(async () => (await ledgerSize(db)) === 30, 30_000, "the first 30");
    expect(batches.a).toBeGreaterThan(0);
    expect(batches.b).toBe(0);
    // The holder's session dies (its process would have): kill the backend holding our lock, and stop `a`.
    const killed = await db.query<{ ok: boolean }>(
      `WITH k AS (SELECT hashtext(current_schema() || ':vigil:ledger:sequencer')::bigint AS v)
       SELECT pg_terminate_backend(l.pid) AS ok FROM pg_locks l, k
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid = ((k.v >> 32) & 4294967295)::oid AND l.objid = (k.v & 4294967295)::oid`,
    );
    expect(killed.length).toBe(1);
    // Known issue: the old holder's stop() can wait on its dead session for a
    // long time (seen in about one run in three). What this test proves is the
    // takeover, which must not depend on the old holder returning, so it does
    // not wait on it for more than 10 s.
    await Promise.race([a.stop(), new Promise((r) => setTimeout(r, 10_000))]);
    for (let i = 0; i < 30; i++) await store.append("counter-b", "any", [inc(i + 1)], meta);
    await settle(db);
    await until(async () => (await ledgerSize(db)) === 60, 30_000, "the standby to sequence the rest");
    expect(batches.b).toBeGreaterThan(0);
    await b.stop();
    await expectLedgerMatchesLog(db);
  });

  it("a sequencer process SIGKILLed mid-batch, again and again, leaves the ledger dense", async () => {
    const db = await postgresDb();
    closers.push(() => db.close());
    const [row] = await db.query<{ schema: string }>("SELECT current_schema() AS schema");
    const store = createEventStore({ db, catalog: testCatalog() });
    for (let i = 0; i < 100; i++) {
      await store.append(
        `counter-${i % 7}`,
        "any",
        Array.from({ length: 30 }, (_, j) => inc(j + 1)),
        meta,
      );
    }
    await settle(db);
    const start = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", CHILD], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATABASE_URL: TEST_DATABASE_URL,
          DB_SCHEMA: row!.schema,
          SEQUENCER_BATCH: "40",
        },
        stdio: "ignore",
      });
    let last = 0;
    for (let round = 0; round < 3; round++) {
      const child = start();
      const exited = new Promise((r) => child.on("exit", r));
      await until(async () => (await ledgerSize(db)) > last, 60_000, `round ${round} to make progress`);
      // A random moment inside the stream of batches.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      child.kill("SIGKILL");
      await exited;
      last = await ledgerSize(db);
      if (last === 3000) break;
    }
    expect(last).toBeGreaterThan(0);
    const final = start();
    closers.push(async () => {
      final.kill("SIGKILL");
    });
    await until(async () => (await ledgerSize(db)) === 3000, 60_000, "the last process to finish the ledger");
    await expectLedgerMatchesLog(db);
  });
});
