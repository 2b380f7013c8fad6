/**
 * Compliance export throughput on real Postgres, against the replay rate of
 * `store.readAll` over the same log in the same run:
 *   1. seed BENCH_EXPORT_EVENTS (default 200,000) events with 1000-event
 *      appends and sequence them into the ledger (signed checkpoints);
 *   2. baseline: replay the whole log through store.readAll (BENCH_REPLAY_BATCH
 *      rows per read, default 5000) into a trivial fold;
 *   3. export the whole ledger range as a bundle (NDJSON, proofs, signed
 *      manifest, tar) to a temporary file: events/s including proofs;
 *   4. verify that bundle offline (events/s; no target, for information).
 * Target: export / replay >= 0.3.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCatalog } from "../events/catalog/index.ts";
import { createSequencer } from "../events/ledger/sequencer.ts";
import { createEventStore } from "../events/store.ts";
import { type EventMetadata, type Position, START } from "../events/types.ts";
import { checkpointKeys } from "../src/audit/checkpoint-keys.ts";
import { writeBundle } from "../src/audit/exports/bundle.ts";
import { ledgerView } from "../src/audit/exports/ledger-view.ts";
import { createKeyring } from "../src/crypto/aead.ts";
import { randomBytes } from "../src/crypto/random.ts";
import { verifyBundle } from "../verifier/verify.ts";
import {
  type BenchContext,
  type BenchModule,
  envNumber,
  fmtInt,
  type ResultRow,
  runCount,
  timed,
} from "./lib.ts";

const META: EventMetadata = {
  actor: "system:bench",
  ip: "127.0.0.1",
  userAgent: "vigil-bench",
  requestId: null,
  correlationId: null,
  causationId: null,
};
const ORIGIN = "bench.example/ledger";
const SEED_BATCH = 1000;

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const { db, log } = ctx;
  const total = envNumber("BENCH_EXPORT_EVENTS", 200_000);
  const readBatch = envNumber("BENCH_REPLAY_BATCH", 5000);
  const store = createEventStore({ db, catalog: createCatalog() });
  const calls = Math.ceil(total / SEED_BATCH);
  log(`1/4 seeding ${fmtInt(calls * SEED_BATCH)} events and sequencing them into the ledger …`);
  const thousand = Array.from({ length: SEED_BATCH }, (_, i) => ({
    type: "ProjectionRebuilt",
    data: { projection: `bench-${i % 17}`, events: i, durationMs: i / 7 },
  }));
  await runCount({
    workers: envNumber("BENCH_SEED_WORKERS", 4),
    total: calls,
    op: async (i) => {
      await store.append(`seed-${i % 200}`, "any", thousand, META);
    },
  });
  const clock = { now: () => new Date() };
  const keys = checkpointKeys({
    db,
    keyring: createKeyring([{ id: "k1", key: randomBytes(32) }], "k1"),
    name: ORIGIN,
    clock,
  });
  const seq = createSequencer({ db, origin: ORIGIN, sign: keys.sign, batchSize: 5000 });
  while ((await seq.step()) > 0);
  await seq.checkpointIfDue(true);
  await db.query("VACUUM ANALYZE events");
  const size = calls * SEED_BATCH;

  const replay = async () => {
    let count = 0;
    let pos: Position = START;
    for (;;) {
      const batch = await store.readAll(pos, { limit: readBatch });
      for (const e of batch) if (e.type) count++;
      if (batch.length < readBatch) return count;
      pos = batch[batch.length - 1]!.position;
    }
  };
  await replay(); // warm the caches once, so neither measured pass reads cold
  log("2/4 replay through store.readAll …");
  const replayed = await timed(replay);
  const replayRate = replayed.result / replayed.seconds;
  log(`    ${fmtInt(replayed.result)} events in ${replayed.seconds.toFixed(2)} s (${fmtInt(replayRate)}/s)`);

  const dir = await mkdtemp(join(tmpdir(), "vigil-bench-export-"));
  try {
    log("3/4 export of the whole range (NDJSON, range proof, consistency proof, signed manifest, tar) …");
    const view = ledgerView({ db, origin: ORIGIN, keys });
    const path = join(dir, "bench.tar");
    const spec = {
      id: crypto.randomUUID(),
      from: 0,
      to: size,
      types: [],
      streams: [],
      format: "ndjson" as const,
    };
    const exported = await timed(() => writeBundle(view, { ...spec, createdAt: new Date() }, path));
    const exportRate = exported.result.events / exported.seconds;
    log(
      `    ${fmtInt(exported.result.events)} events, ${fmtInt(exported.result.bytes)} bytes in ${exported.seconds.toFixed(2)} s (${fmtInt(exportRate)}/s)`,
    );

    log("4/4 offline verification of that bundle …");
    const key = (await keys.current()).verifierKey;
    const verified = await timed(() => verifyBundle(createReadStream(path), { keys: [key] }));
    log(`    ${verified.result.ok ? verified.result.summary : `FAILED: ${verified.result.message}`}`);
    return [
      {
        name: "export incl. proofs",
        value: exportRate,
        unit: "events/s",
        baseline: { name: "store.readAll replay", value: replayRate },
        target: { ratio: 0.3 },
      },
      {
        name: "offline verification",
        value: verified.result.ok ? verified.result.events / verified.seconds : 0,
        unit: "events/s",
        note: verified.result.ok ? "bundle verified" : `FAILED: ${verified.result.message}`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const bench: BenchModule = {
  description:
    "Compliance export: events/s written to a verifiable bundle (with proofs and signed manifest) vs store.readAll replay",
  run,
};
