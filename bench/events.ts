/**
 * The event log on real Postgres, each figure beside a raw-SQL baseline measured
 * in the same run:
 *   1. single-event appends/s, BENCH_WRITERS writers on their own streams, vs
 *      autocommit single-row INSERTs/s into a plain table; and the same appends
 *      with the write combiner off (events/combiner.ts), for what it adds;
 *   2. batched appends (100 events each), events/s, vs 100-row INSERTs, rows/s,
 *      both with BENCH_BATCH_WRITERS writers;
 *   3. full replay through store.readAll into an in-memory fold over at least
 *      BENCH_REPLAY_EVENTS (default 1,000,000) events, vs a keyset scan of
 *      `SELECT id, data FROM events` folded the same way.
 *
 * Module env: BENCH_BATCH_WRITERS (writers for phase 2, default 4: on a small
 * machine more only contend for the same index pages and CPUs), BENCH_REPLAY_EVENTS,
 * BENCH_REPLAY_BATCH (rows per readAll, default 5000), BENCH_SEED_WORKERS
 * (concurrent 1000-event appends while seeding, default 4).
 */
import { createCatalog } from "../events/catalog/index.ts";
import { createEventStore } from "../events/store.ts";
import type { EventMetadata, NewEvent, Position } from "../events/types.ts";
import { START } from "../events/types.ts";
import {
  type BenchContext,
  type BenchModule,
  envNumber,
  fmtInt,
  fmtMs,
  type Measure,
  now,
  type ResultRow,
  runCount,
  runFor,
  timed,
} from "./lib.ts";

export const META: EventMetadata = {
  actor: "system:bench",
  ip: "127.0.0.1",
  userAgent: "vigil-bench",
  requestId: null,
  correlationId: null,
  causationId: null,
};

/** Appends per stream before a writer moves to a fresh one (so creation is exercised too). */
const APPENDS_PER_STREAM = 20;
const BATCH = 100;
const SEED_BATCH = 1000;

const event = (n: number): NewEvent => ({
  type: "ProjectionRebuilt",
  data: { projection: "bench", events: n, durationMs: 1.5 },
});

/** Roughly what one stored row carries, for the raw baselines. */
const rawRow = (n: number): string =>
  JSON.stringify({ type: "ProjectionRebuilt", data: event(n).data, metadata: META });

interface Fold {
  count: number;
  byType: Map<string, number>;
  sumEvents: number;
}

const newFold = (): Fold => ({ count: 0, byType: new Map(), sumEvents: 0 });

function foldOne(f: Fold, type: string, data: unknown): void {
  f.count++;
  f.byType.set(type, (f.byType.get(type) ?? 0) + 1);
  const n = (data as { events?: unknown }).events;
  if (typeof n === "number") f.sumEvents += n;
}

function describe(m: Measure, unit: string): string {
  return `${fmtInt(m.unitsPerSec)} ${unit}/s (${fmtInt(m.ops)} ops, p50 ${fmtMs(m.p50Ms)}, p99 ${fmtMs(m.p99Ms)})`;
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const { db, log } = ctx;
  const store = createEventStore({ db, catalog: createCatalog() });
  const uncombined = createEventStore({ db, catalog: createCatalog(), combine: false });
  await db.query(
    "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)",
  );
  const timedPhase = { workers: ctx.writers, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds };

  /** A writer's own streams, appended to with exact expected versions. */
  const streamsOf = (phase: string, writers: number, via = store) => {
    const state = Array.from({ length: writers }, () => ({ stream: 0, version: 0 }));
    return async (w: number, events: readonly NewEvent[]) => {
      const s = state[w]!;
      if (s.version + events.length > APPENDS_PER_STREAM * events.length) {
        s.stream++;
        s.version = 0;
      }
      const id = `bench-${phase}.${w}.${s.stream}`;
      const r = await via.append(id, s.version === 0 ? "no_stream" : s.version, events, META);
      s.version = r.version;
      return events.length;
    };
  };

  // 1. Single-event appends vs single-row autocommit INSERTs.
  log("1/3 single-event appends …");
  const single = streamsOf("single", ctx.writers);
  const one = [event(1)];
  const appends1 = await runFor({ ...timedPhase, op: (w) => single(w, one) });
  log(`    store.append x1: ${describe(appends1, "appends")}`);
  const raw1Data = rawRow(1);
  const raw1 = await runFor({
    ...timedPhase,
    op: async (w) => {
      await db.query("INSERT INTO bench_raw (stream, data) VALUES ($1, $2::text::jsonb)", [
        `raw-${w}`,
        raw1Data,
      ]);
      return 1;
    },
  });
  log(`    raw INSERT x1:   ${describe(raw1, "rows")}`);
  const alone = streamsOf("alone", ctx.writers, uncombined);
  const appendsAlone = await runFor({ ...timedPhase, op: (w) => alone(w, one) });
  log(`    store.append x1, combiner off: ${describe(appendsAlone, "appends")}`);

  // 2. 100-event appends vs 100-row INSERTs.
  const batchWriters = envNumber("BENCH_BATCH_WRITERS", 4);
  const batchPhase = { ...timedPhase, workers: batchWriters };
  log(`2/3 batched appends (${BATCH} events per call, ${batchWriters} writers) …`);
  const batched = streamsOf("batch", batchWriters);
  const hundred = Array.from({ length: BATCH }, (_, i) => event(i));
  const appends100 = await runFor({ ...batchPhase, op: (w) => batched(w, hundred) });
  log(`    store.append x${BATCH}: ${describe(appends100, "events")}`);
  const values = Array.from({ length: BATCH }, (_, i) => `($${2 * i + 1}, $${2 * i + 2}::text::jsonb)`).join(
    ", ",
  );
  const rawBatchSql = `INSERT INTO bench_raw (stream, data) VALUES ${values}`;
  const rawBatchParams = (w: number) => hundred.flatMap((_, i) => [`raw-${w}`, rawRow(i)]);
  const raw100 = await runFor({
    ...batchPhase,
    op: async (w) => {
      await db.query(rawBatchSql, rawBatchParams(w));
      return BATCH;
    },
  });
  log(`    raw INSERT x${BATCH}:   ${describe(raw100, "rows")}`);

  // 3. Full replay. Seed up to the target count with 1000-event appends, one stream each.
  const want = envNumber("BENCH_REPLAY_EVENTS", 1_000_000);
  const readBatch = envNumber("BENCH_REPLAY_BATCH", 5000);
  const seedWorkers = envNumber("BENCH_SEED_WORKERS", 4);
  const have = (await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM events"))[0]!.n;
  const calls = Math.max(0, Math.ceil((want - have) / SEED_BATCH));
  log(`3/3 replay: seeding ${fmtInt(calls * SEED_BATCH)} events (${calls} appends of ${SEED_BATCH}) …`);
  const thousand = Array.from({ length: SEED_BATCH }, (_, i) => event(i));
  const seedSeconds = await runCount({
    workers: seedWorkers,
    total: calls,
    op: async (i) => {
      await store.append(`seed-${i}`, "no_stream", thousand, META);
    },
  });
  const seedRate = (calls * SEED_BATCH) / seedSeconds;
  log(`    seeded in ${seedSeconds.toFixed(1)} s (${fmtInt(seedRate)} events/s); VACUUM ANALYZE …`);
  await db.query("VACUUM ANALYZE events");
  await waitForFence(ctx);

  const replayStore = async () => {
    const fold = newFold();
    let pos: Position = START;
    for (;;) {
      const batch = await store.readAll(pos, { limit: readBatch });
      for (const e of batch) foldOne(fold, e.type, e.data);
      if (batch.length < readBatch) return fold;
      pos = batch[batch.length - 1]!.position;
    }
  };
  const replayRaw = async () => {
    const fold = newFold();
    // The same keyset walk in log order, without the fence, envelope or upcasting.
    let last = { tx: "0", id: 0 };
    for (;;) {
      const rows = await db.query<{ tx: string; id: number; type: string; data: unknown }>(
        "SELECT tx_id::text AS tx, id, type, data FROM events WHERE (tx_id, id) > ($1::xid8, $2) ORDER BY tx_id, id LIMIT $3",
        [last.tx, last.id, readBatch],
      );
      for (const r of rows) foldOne(fold, r.type, r.data);
      if (rows.length < readBatch) return fold;
      const end = rows[rows.length - 1]!;
      last = { tx: end.tx, id: end.id };
    }
  };
  // Warm the caches once with the cheap scan so neither measured pass reads cold.
  await replayRaw();
  const storePass = await timed(replayStore);
  const rawPass = await timed(replayRaw);
  if (
    storePass.result.count !== rawPass.result.count ||
    storePass.result.sumEvents !== rawPass.result.sumEvents
  ) {
    throw new Error(
      `replay folds disagree: store ${storePass.result.count}/${storePass.result.sumEvents}, ` +
        `raw ${rawPass.result.count}/${rawPass.result.sumEvents}`,
    );
  }
  const replayed = storePass.result.count;
  const storeRate = replayed / storePass.seconds;
  const rawRate = replayed / rawPass.seconds;
  log(
    `    store.readAll: ${fmtInt(replayed)} events in ${storePass.seconds.toFixed(2)} s (${fmtInt(storeRate)}/s)`,
  );
  log(
    `    raw keyset:    ${fmtInt(replayed)} rows in ${rawPass.seconds.toFixed(2)} s (${fmtInt(rawRate)}/s)`,
  );

  return [
    {
      name: `append x1, ${ctx.writers} writers`,
      value: appends1.opsPerSec,
      unit: "appends/s",
      baseline: { name: "INSERT x1/s", value: raw1.opsPerSec },
      target: { min: 8000, ratio: 0.8 },
      note: `p50/p99 ${fmtMs(appends1.p50Ms)}/${fmtMs(appends1.p99Ms)} vs raw ${fmtMs(raw1.p50Ms)}/${fmtMs(raw1.p99Ms)}`,
    },
    {
      name: `append x1, combiner off, ${ctx.writers} writers`,
      value: appendsAlone.opsPerSec,
      unit: "appends/s",
      baseline: { name: "INSERT x1/s", value: raw1.opsPerSec },
      note: `each append its own statement and commit; p50/p99 ${fmtMs(appendsAlone.p50Ms)}/${fmtMs(appendsAlone.p99Ms)}`,
    },
    {
      name: `append x${BATCH}, ${batchWriters} writers`,
      value: appends100.unitsPerSec,
      unit: "events/s",
      baseline: { name: `INSERT x${BATCH} rows/s`, value: raw100.unitsPerSec },
      target: { min: 40_000 },
      note: `p50/p99 ${fmtMs(appends100.p50Ms)}/${fmtMs(appends100.p99Ms)} vs raw ${fmtMs(raw100.p50Ms)}/${fmtMs(raw100.p99Ms)}`,
    },
    {
      name: `replay readAll, ${fmtInt(replayed)} events`,
      value: storeRate,
      unit: "events/s",
      baseline: { name: "keyset scan rows/s", value: rawRate },
      target: { min: 150_000 },
      note:
        `batches of ${fmtInt(readBatch)}; ${storePass.seconds.toFixed(2)} s vs ${rawPass.seconds.toFixed(2)} s; ` +
        `seed ${fmtInt(calls * SEED_BATCH)} events in ${seedSeconds.toFixed(1)} s (${fmtInt(seedRate)}/s, ` +
        `${seedWorkers} workers x ${SEED_BATCH}/append)`,
    },
  ];
}

/**
 * readAll reads only below the server's oldest running transaction (cluster-wide):
 * wait, boundedly, until every seeded event is below it, so both passes see them all.
 */
async function waitForFence(ctx: BenchContext): Promise<void> {
  const deadline = now() + 60_000;
  for (;;) {
    const [row] = await ctx.db.query<{ ok: boolean }>(
      "SELECT coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS ok FROM events",
    );
    if (row?.ok) return;
    if (now() > deadline) throw new Error("a transaction elsewhere on the server holds the read fence back");
    ctx.log("    waiting for an older transaction elsewhere on the server to end …");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const bench: BenchModule = {
  description: "event store: appends (single, batched) and full replay vs raw SQL baselines",
  run,
};
