/**
 * Rebuilding projections from the log, and checking that the live tables are
 * what the log says they should be.
 */
import type { Db, Sql } from "../db/client.ts";
import type { EventStore } from "../events/store.ts";
import { comparePositions, type Position, START, type StoredEvent } from "../events/types.ts";
import { setCheckpoint } from "./checkpoints.ts";
import { checkpointName } from "./runner.ts";
import type { Projection } from "./types.ts";

export interface RebuildDeps {
  db: Db;
  store: EventStore;
  /** Called after each batch with the number of events replayed so far. */
  onProgress?: (projection: string, events: number) => void;
}

const BATCH = 5000;

/** Feeds every event in `[after, until]` (read through `tx`) to `visit`, batch by batch. */
async function replay(
  tx: Sql,
  store: EventStore,
  opts: { until?: Position; fenced?: boolean; types?: readonly string[] },
  visit: (events: readonly StoredEvent[]) => Promise<void>,
): Promise<Position> {
  let pos = START;
  for (;;) {
    const batch = await store.readLogIn(tx, pos, { limit: BATCH, ...opts });
    const last = batch.at(-1);
    if (!last) return pos;
    await visit(batch);
    pos = last.position;
  }
}

/**
 * Empties a projection's tables and replays the log into them, in one transaction.
 * TRUNCATE's exclusive lock makes inline writers wait, so nothing committed is
 * missed and nothing is applied twice; an async projection's checkpoint is reset
 * in the same transaction, which makes a running batch see it moved and drop out.
 */
export async function rebuildProjection(
  deps: RebuildDeps,
  p: Projection,
): Promise<{ events: number; durationMs: number }> {
  const started = performance.now();
  const events = await deps.db.transaction(async (tx) => {
    await tx.query(`TRUNCATE ${p.tables.join(", ")}`);
    if (p.mode === "async") await setCheckpoint(tx, checkpointName(p), START);
    let count = 0;
    const last = await replay(
      tx,
      deps.store,
      { types: p.eventTypes, fenced: p.mode === "async" },
      async (batch) => {
        for (const e of batch) await p.apply(tx, e);
        count += batch.length;
        deps.onProgress?.(p.name, count);
      },
    );
    if (p.mode === "async") await setCheckpoint(tx, checkpointName(p), last);
    return count;
  });
  return { events, durationMs: Math.round(performance.now() - started) };
}

export interface TableDiff {
  projection: string;
  table: string;
  liveRows: number;
  rebuiltRows: number;
  /** Rows (as JSON) in the live table that the log does not produce. */
  onlyLive: unknown[];
  /** Rows the log produces that the live table lacks. */
  onlyRebuilt: unknown[];
}

const SAMPLE = 10;

/**
 * Replays every projection into temporary shadow tables and compares them with
 * the live ones. It runs in one REPEATABLE READ transaction, so live tables,
 * checkpoints and the log are read at one instant; the shadow tables are
 * temporary and shadow the live names, which lets projection code run unchanged.
 * Returns only the tables that differ.
 */
export async function verifyProjections(
  deps: RebuildDeps,
  projections: readonly Projection[],
  opts: {
    /**
     * Table → SQL predicate of rows left out of the comparison on both sides:
     * rows retention prunes (src/audit/retention.ts) are gone from the live
     * table but come back in the rebuild, and that is not a difference.
     */
    ignore?: Readonly<Record<string, string>>;
  } = {},
): Promise<TableDiff[]> {
  return deps.db.transaction(async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    const [{ schema } = { schema: "public" }] = await tx.query<{ schema: string }>(
      "SELECT current_schema() AS schema",
    );
    const q = (name: string) => `"${schema}"."${name}"`;
    const limits = new Map<Projection, Position | undefined>();
    for (const p of projections) {
      for (const t of p.tables)
        await tx.query(`CREATE TEMP TABLE ${t} (LIKE ${q(t)} INCLUDING ALL) ON COMMIT DROP`);
      if (p.mode === "async") {
        const rows = await tx.query<{ tx_id: string; event_id: number }>(
          "SELECT tx_id::text AS tx_id, event_id FROM checkpoints WHERE name = $1",
          [checkpointName(p)],
        );
        limits.set(p, rows[0] ? { txId: rows[0].tx_id, id: rows[0].event_id } : START);
      }
    }
    let count = 0;
    await replay(tx, deps.store, {}, async (batch) => {
      for (const e of batch) {
        for (const p of projections) {
          if (!p.eventTypes.includes(e.type)) continue;
          const until = limits.get(p);
          if (until && comparePositions(e.position, until) > 0) continue;
          await p.apply(tx, e);
        }
      }
      count += batch.length;
      deps.onProgress?.("replay", count);
    });

    const diffs: TableDiff[] = [];
    for (const p of projections) {
      for (const t of p.tables) {
        const d = await diffTable(tx, q(t), `pg_temp.${t}`, opts.ignore?.[t]);
        if (d.onlyLive.length || d.onlyRebuilt.length) diffs.push({ projection: p.name, table: t, ...d });
      }
    }
    return diffs;
  });
}

async function diffTable(tx: Sql, liveTable: string, shadowTable: string, ignore?: string) {
  const only = (t: string) => (ignore ? `(SELECT * FROM ${t} WHERE NOT (${ignore})) AS t` : t);
  const live = only(liveTable);
  const shadow = only(shadowTable);
  const sample = async (left: string, right: string) =>
    (
      await tx.query<{ row: unknown }>(
        `SELECT row_to_json(d) AS row FROM (SELECT * FROM ${left} EXCEPT ALL SELECT * FROM ${right}) d LIMIT ${SAMPLE}`,
      )
    ).map((r) => r.row);
  const count = async (t: string) =>
    (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n;
  return {
    liveRows: await count(live),
    rebuiltRows: await count(shadow),
    onlyLive: await sample(live, shadow),
    onlyRebuilt: await sample(shadow, live),
  };
}
