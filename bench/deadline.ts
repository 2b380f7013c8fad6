/**
 * What the request deadline (db/deadline.ts) costs on real Postgres: the same
 * work with and without a `Deadline` in force, measured in one run.
 *   1. `SELECT 1` round trips/s (the check, the abort listener, the async
 *      context lookup are all there is to it) vs the same without a deadline;
 *   2. single-event appends/s (a commit point) vs the same without a deadline.
 * Each worker runs every operation under its own Deadline, as a request would.
 */
import { Deadline, runWithDeadline } from "../db/deadline.ts";
import { createCatalog } from "../events/catalog/index.ts";
import { createEventStore } from "../events/store.ts";
import type { EventMetadata } from "../events/types.ts";
import { type BenchContext, type BenchModule, fmtInt, type ResultRow, runFor } from "./lib.ts";

const META: EventMetadata = {
  actor: "system:bench",
  ip: "127.0.0.1",
  userAgent: "vigil-bench",
  requestId: null,
  correlationId: null,
  causationId: null,
};

export const bench: BenchModule = {
  description: "request deadline overhead: queries and appends with vs without a Deadline",
  async run(ctx: BenchContext): Promise<ResultRow[]> {
    const store = createEventStore({ db: ctx.db, catalog: createCatalog() });
    const phase = (op: (w: number, i: number) => Promise<number>) =>
      runFor({ workers: ctx.writers, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds, op });
    const select = () => ctx.db.query("SELECT 1").then(() => 1);
    const append = (tag: string) => (w: number, i: number) =>
      store
        .append(
          `bench-${tag}-${w}-${Math.floor(i / 20)}`,
          i % 20,
          [{ type: "ProjectionRebuilt", data: { projection: "bench", events: i, durationMs: 1 } }],
          META,
        )
        .then(() => 1);
    const under =
      <T>(fn: (w: number, i: number) => Promise<T>) =>
      (w: number, i: number) =>
        runWithDeadline(new Deadline(), () => fn(w, i));

    ctx.log("SELECT 1 without a deadline");
    const q0 = await phase(select);
    ctx.log("SELECT 1 under a deadline");
    const q1 = await phase(under(select));
    ctx.log("appends without a deadline");
    const a0 = await phase(append("plain"));
    ctx.log("appends under a deadline");
    const a1 = await phase(under(append("deadline")));
    ctx.log(
      `queries ${fmtInt(q1.opsPerSec)} vs ${fmtInt(q0.opsPerSec)}/s; appends ${fmtInt(a1.opsPerSec)} vs ${fmtInt(a0.opsPerSec)}/s`,
    );
    return [
      {
        name: "SELECT 1 under a deadline",
        value: q1.opsPerSec,
        unit: "queries/s",
        baseline: { name: "without a deadline", value: q0.opsPerSec },
        target: { ratio: 0.9 },
      },
      {
        name: "appends under a deadline",
        value: a1.opsPerSec,
        unit: "appends/s",
        baseline: { name: "without a deadline", value: a0.opsPerSec },
        target: { ratio: 0.9 },
      },
    ];
  },
};
