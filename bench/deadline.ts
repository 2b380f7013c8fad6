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
import { META } from "./events.ts";
import { type BenchContext, type BenchModule, fmtInt, type ResultRow, runFor } from "./lib.ts";

type Op = (worker: number, iteration: number) => Promise<number>;
const ROUNDS = 3;

export const bench: BenchModule = {
  description: "request deadline overhead: queries and appends with vs without a Deadline",
  async run(ctx: BenchContext): Promise<ResultRow[]> {
    const store = createEventStore({ db: ctx.db, catalog: createCatalog() });
    // Streams are named per phase: `i` starts again at 0 in every phase.
    let epoch = 0;
    const phase = (op: Op) =>
      runFor({ workers: ctx.writers, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds, op });
    const select = () => ctx.db.query("SELECT 1").then(() => 1);
    const append =
      (tag: string): Op =>
      (w, i) =>
        store
          .append(
            `bench-${tag}-${epoch}-${w}-${Math.floor(i / 20)}`,
            i % 20,
            [{ type: "ProjectionRebuilt", data: { projection: "bench", events: i, durationMs: 1 } }],
            META,
          )
          .then(() => 1);
    const deadlined =
      (fn: Op): Op =>
      (w, i) =>
        runWithDeadline(new Deadline(), () => fn(w, i));

    // Alternating rounds, so drift in a shared machine's load hits both sides alike.
    const compare = async (label: string, plain: Op, withDeadline: Op) => {
      let base = 0;
      let under = 0;
      for (let round = 0; round < ROUNDS; round++) {
        ctx.log(`${label}, round ${round + 1}/${ROUNDS}`);
        epoch++;
        base += (await phase(plain)).opsPerSec / ROUNDS;
        epoch++;
        under += (await phase(withDeadline)).opsPerSec / ROUNDS;
      }
      return { base, under };
    };
    const q = await compare("SELECT 1", select, deadlined(select));
    const a = await compare("appends", append("plain"), deadlined(append("deadline")));
    ctx.log(
      `queries ${fmtInt(q.under)} vs ${fmtInt(q.base)}/s; appends ${fmtInt(a.under)} vs ${fmtInt(a.base)}/s`,
    );
    return [
      {
        name: "SELECT 1 under a deadline",
        value: q.under,
        unit: "queries/s",
        baseline: { name: "without a deadline", value: q.base },
        target: { ratio: 0.9 },
      },
      {
        name: "appends under a deadline",
        value: a.under,
        unit: "appends/s",
        baseline: { name: "without a deadline", value: a.base },
        target: { ratio: 0.9 },
      },
    ];
  },
};
