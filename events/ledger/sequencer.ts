/**
 * The sequencer: one consumer of the log, cluster-wide, that gives every event
 * a dense ledger position 0, 1, 2, … in log order and grows the RFC 6962 tree.
 *
 * - It reads the log exactly as `readAll` does (past its checkpoint, in
 *   `(tx_id, id)` order, below the fence), but only the columns the tree needs.
 * - Each batch writes its entries, the subtrees the batch completed, and (when
 *   due) a signed checkpoint, in one statement (so one transaction and one
 *   round trip) gated by the compare-and-set advance of its log checkpoint. A kill mid-batch rolls all of it back; a
 *   second sequencer racing it loses the compare-and-set and rolls back. So
 *   positions stay dense and unique whatever happens.
 * - One instance runs: it holds a session advisory lock on a dedicated
 *   connection; others wait and take over when its session ends.
 * - It never runs in the append path: appends cost exactly what they did.
 */
import { Buffer } from "node:buffer";
import type { Db, Sql } from "../../db/client.ts";
import { loadCheckpoint } from "../../projections/checkpoints.ts";
import { wakeableSleep } from "../../projections/wake.ts";
import { comparePositions, type Position } from "../types.ts";
import { type Hash, leafHash, MerkleAccumulator } from "./merkle.ts";
import { formatCheckpoint } from "./note.ts";
import { ledgerSize, loadEdge, toHex } from "./tree-store.ts";

/**
 * The default poll. Under a steady stream of appends each batch is a poll's
 * worth, and a batch has a fixed cost (a read, one statement, a commit) that
 * competes with the writers (on two cores, in `npm run bench -- ledger` with
 * on/off phases alternating): at 25 ms appends ran about 10% slower with the
 * sequencer than without it, at 50 ms 9–12% slower in three runs, at 100 ms
 * 1–3% slower, while the lag from commit to ledger position stays well under
 * 250 ms (p99 about 80 ms at 50 ms, 136 ms at 100 ms).
 */
export const SEQUENCER_POLL_MS = 100;

/** The sequencer's log checkpoint in `checkpoints`. */
export const SEQUENCER = "ledger:sequencer";
const LOCK_KEY = `hashtext(current_schema() || ':vigil:${SEQUENCER}')`;

export interface SignedCheckpoint {
  size: number;
  rootHash: Hash;
  note: string;
  keyId: string;
  signedAt: Date;
}

export interface SequencerOptions {
  db: Db;
  /** The checkpoint origin line. */
  origin: string;
  sign(text: string): Promise<{ note: string; keyId: string }>;
  /** A checkpoint at least this often while events arrive (default 1000 ms)… */
  checkpointIntervalMs?: number;
  /** …and at least every this many events (default 1000). */
  checkpointEveryEvents?: number;
  /** Events per batch (default 1000). */
  batchSize?: number;
  /** How long to sleep when caught up (default SEQUENCER_POLL_MS); `poke()` cuts it short. */
  pollMs?: number;
  clock?: () => Date;
  /** After each committed checkpoint (the witness directory hangs here). */
  onCheckpoint?: (cp: SignedCheckpoint) => Promise<void> | void;
  /** After each committed batch, with its first position and event ids (benchmarks, metrics). */
  onBatch?: (firstPosition: number, eventIds: readonly string[]) => void;
  onError?: (err: unknown) => void;
}

interface State {
  from: Position;
  tree: MerkleAccumulator;
  lastSigned: { size: number; at: number };
}

interface LogRow {
  id: number;
  tx_id: string;
  event_id: string;
  hash: Uint8Array;
}

async function loadState(db: Db): Promise<State> {
  return db.transaction(async (tx) => {
    // One snapshot: the checkpoint and the entries were committed together.
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    // The row every batch moves by compare-and-set; created at the start of the log.
    await tx.query(
      "INSERT INTO checkpoints (name, tx_id, event_id) VALUES ($1, '0'::xid8, 0) ON CONFLICT (name) DO NOTHING",
      [SEQUENCER],
    );
    const from = await loadCheckpoint(tx, SEQUENCER);
    const size = await ledgerSize(tx);
    const tree = new MerkleAccumulator(size, await loadEdge(tx, size));
    const [cp] = await tx.query<{ tree_size: number; signed_at: Date | string }>(
      "SELECT tree_size, signed_at FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1",
    );
    return {
      from,
      tree,
      lastSigned: cp
        ? { size: Number(cp.tree_size), at: new Date(cp.signed_at).getTime() }
        : { size: 0, at: 0 },
    };
  });
}

const hex = toHex;

/** Comma-separated hex of consecutive 32-byte hashes, encoded natively at once (node:buffer, which Deno has too). */
function bulkHex(bytes: Uint8Array): string {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  const parts: string[] = [];
  for (let i = 0; i < all.length; i += 64) parts.push(all.slice(i, i + 64));
  return parts.join(",");
}

export class StaleSequencerError extends Error {
  override readonly name = "StaleSequencerError";
}

export interface Sequencer {
  /** Sequences one batch; returns how many events it placed (0: caught up). */
  step(): Promise<number>;
  /** Signs a checkpoint now if events arrived since the last one and it is due. */
  checkpointIfDue(force?: boolean): Promise<SignedCheckpoint | undefined>;
  /** Forgets in-memory state; the next step reloads it from the database. */
  reset(): void;
  readonly size: number | undefined;
  /** The last step read fewer events than it asked for: nothing more was past the fence. */
  readonly caughtUp: boolean;
}

export function createSequencer(opts: SequencerOptions): Sequencer {
  const { db } = opts;
  const batchSize = opts.batchSize ?? 1000;
  const every = opts.checkpointEveryEvents ?? 1000;
  const interval = opts.checkpointIntervalMs ?? 1000;
  const now = opts.clock ?? (() => new Date());
  let state: State | undefined;
  let caughtUp = true;

  /** Signs outside any transaction: the signer reads its key (PGlite has one connection). */
  async function draft(tree: MerkleAccumulator): Promise<SignedCheckpoint> {
    const rootHash = tree.root();
    const { note, keyId } = await opts.sign(
      formatCheckpoint({ origin: opts.origin, size: tree.size, rootHash }),
    );
    return { size: tree.size, rootHash, note, keyId, signedAt: now() };
  }

  async function storeCheckpoint(tx: Sql, cp: SignedCheckpoint): Promise<SignedCheckpoint> {
    await tx.query(
      `INSERT INTO ledger_checkpoints (tree_size, root_hash, note, key_id, signed_at)
       VALUES ($1, decode($2, 'hex'), $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING`,
      [cp.size, hex(cp.rootHash), cp.note, cp.keyId, cp.signedAt.toISOString()],
    );
    return cp;
  }

  const due = (s: State, size: number) =>
    size > s.lastSigned.size &&
    (size - s.lastSigned.size >= every || now().getTime() - s.lastSigned.at >= interval);

  async function afterCheckpoint(s: State, cp: SignedCheckpoint): Promise<void> {
    s.lastSigned = { size: cp.size, at: cp.signedAt.getTime() };
    try {
      await opts.onCheckpoint?.(cp);
    } catch (err) {
      opts.onError?.(err);
    }
  }

  async function step(): Promise<number> {
    state ??= await loadState(db);
    const s = state;
    // Never more than `every` events past the last checkpoint in one batch.
    const room = Math.max(1, every - (s.tree.size - s.lastSigned.size));
    const limit = Math.min(batchSize, room);
    caughtUp = false;
    const rows = await db.query<LogRow>(
      `SELECT id, tx_id::text AS tx_id, event_id, hash FROM events
        WHERE (tx_id, id) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY events.tx_id, events.id LIMIT $3`,
      [s.from.txId, s.from.id, limit],
    );
    caughtUp = rows.length < limit;
    const last = rows.at(-1);
    if (!last) return 0;
    const to: Position = { txId: last.tx_id, id: Number(last.id) };
    if (comparePositions(to, s.from) <= 0) throw new Error("the log went backwards");

    const tree = s.tree.clone();
    const first = tree.size;
    const levels: number[] = [];
    const indexes: number[] = [];
    // The completed nodes' hashes end to end, hex-encoded natively at once: per hash, hex
    // strings cost more than the hashing itself. (Split in SQL instead, by substring of one
    // bytea, a batch of 1000 took seven times as long: each substring copies the whole value.)
    let hashes = new Uint8Array(rows.length * 2 * 32);
    for (const r of rows) {
      for (const n of tree.append(leafHash(new Uint8Array(r.hash)))) {
        const at = levels.length * 32;
        if (at + 32 > hashes.length) {
          const grown = new Uint8Array(hashes.length * 2);
          grown.set(hashes);
          hashes = grown;
        }
        hashes.set(n.hash, at);
        levels.push(n.level);
        indexes.push(n.index);
      }
    }
    const nodeHashes = bulkHex(hashes.subarray(0, levels.length * 32));
    const pending = due(s, tree.size) ? await draft(tree) : undefined;
    let moved: { ok: boolean }[];
    try {
      // One statement, so one round trip and atomic on its own: the compare-and-set
      // of the log checkpoint gates every insert (nothing is written when another
      // sequencer moved first). Set-based whatever the batch's size.
      moved = await db.query<{ ok: boolean }>(
        `WITH cas AS (
           UPDATE checkpoints SET tx_id = $3::xid8, event_id = $4, updated_at = now()
            WHERE name = $5 AND tx_id = $1::xid8 AND event_id = $2 RETURNING 1),
         entries AS (
           INSERT INTO ledger_entries (position, event_id, log_tx_id, log_id)
           SELECT $6::bigint + u.ord - 1, u.event_id, u.tx_id, u.id
             FROM unnest(string_to_array($7::text, ',')::uuid[], string_to_array($8::text, ',')::xid8[],
                         string_to_array($9::text, ',')::bigint[]) WITH ORDINALITY AS u(event_id, tx_id, id, ord)
            WHERE EXISTS (SELECT 1 FROM cas)),
         nodes AS (
           INSERT INTO ledger_nodes (level, idx, hash)
           SELECT u.level, u.idx, decode(u.hash, 'hex')
             FROM unnest(string_to_array($10::text, ',')::smallint[], string_to_array($11::text, ',')::bigint[],
                         string_to_array($12::text, ',')) AS u(level, idx, hash)
            WHERE EXISTS (SELECT 1 FROM cas)),
         signed AS (
           INSERT INTO ledger_checkpoints (tree_size, root_hash, note, key_id, signed_at)
           SELECT $13::bigint, decode($14, 'hex'), $15, $16, $17::timestamptz
            WHERE $13::bigint IS NOT NULL AND EXISTS (SELECT 1 FROM cas)
           ON CONFLICT (tree_size) DO NOTHING)
         SELECT EXISTS (SELECT 1 FROM cas) AS ok`,
        [
          s.from.txId,
          s.from.id,
          to.txId,
          to.id,
          SEQUENCER,
          first,
          rows.map((r) => r.event_id).join(","),
          rows.map((r) => r.tx_id).join(","),
          rows.map((r) => r.id).join(","),
          levels.join(","),
          indexes.join(","),
          nodeHashes,
          pending?.size ?? null,
          pending ? hex(pending.rootHash) : null,
          pending?.note ?? null,
          pending?.keyId ?? null,
          pending?.signedAt.toISOString() ?? null,
        ],
      );
    } catch (err) {
      // Whatever happened, the database is the truth: reload before the next batch.
      state = undefined;
      throw err;
    }
    if (!moved[0]?.ok) {
      state = undefined;
      throw new StaleSequencerError("another sequencer moved the ledger");
    }
    const cp = pending;
    s.from = to;
    s.tree = tree;
    opts.onBatch?.(
      first,
      rows.map((r) => r.event_id),
    );
    if (cp) await afterCheckpoint(s, cp);
    return rows.length;
  }

  async function checkpointIfDue(force = false): Promise<SignedCheckpoint | undefined> {
    state ??= await loadState(db);
    const s = state;
    if (!(force ? s.tree.size > s.lastSigned.size || s.lastSigned.at === 0 : due(s, s.tree.size)))
      return undefined;
    const pending = await draft(s.tree);
    const cp = await db.transaction(async (tx) => {
      // Only if the ledger is still where this instance believes it is.
      const [row] = await tx.query<{ tx_id: string; event_id: number }>(
        "SELECT tx_id::text AS tx_id, event_id FROM checkpoints WHERE name = $1 FOR SHARE",
        [SEQUENCER],
      );
      const at = row ? { txId: row.tx_id, id: Number(row.event_id) } : { txId: "0", id: 0 };
      if (comparePositions(at, s.from) !== 0)
        throw new StaleSequencerError("another sequencer moved the ledger");
      return storeCheckpoint(tx, pending);
    });
    await afterCheckpoint(s, cp);
    return cp;
  }

  return {
    step,
    async checkpointIfDue(force) {
      try {
        return await checkpointIfDue(force);
      } catch (err) {
        state = undefined;
        throw err;
      }
    },
    reset() {
      state = undefined;
    },
    get size() {
      return state?.tree.size;
    },
    get caughtUp() {
      return caughtUp;
    },
  };
}

export interface RunningSequencer {
  /** Resolves once the loop has stopped and released its lock. */
  stop(): Promise<void>;
  /** Read now instead of at the next poll. */
  poke(): void;
}

/**
 * A Db over one session: the sequencer works on the connection that holds its
 * lock, so if that session dies the work stops with it (and the standby, which
 * then gets the lock, carries on). PGlite has a single connection shared with
 * the whole app, so there the ordinary Db is used (and the lock excludes nothing).
 */
function sessionDb(db: Db, conn: Sql): Db {
  if (db.kind === "pglite") return db;
  return {
    kind: db.kind,
    query: (text, params) => conn.query(text, params),
    async transaction(fn) {
      await conn.query("BEGIN");
      try {
        const out = await fn(conn);
        await conn.query("COMMIT");
        return out;
      } catch (err) {
        await conn.query("ROLLBACK").catch(() => {});
        throw err;
      }
    },
    reserve: (fn) => fn(conn),
    close: async () => {},
  };
}

/**
 * Runs the sequencer under its advisory lock until stopped. Caught up, it polls
 * the log's tail every `pollMs` (one index probe); with a backlog it reads
 * batch after batch without sleeping. `exclusive: false`
 * skips the lock (tests racing two sequencers on purpose).
 */
export function runSequencer(opts: SequencerOptions & { exclusive?: boolean }): RunningSequencer {
  const pollMs = opts.pollMs ?? SEQUENCER_POLL_MS;
  let stopped = false;
  const { sleep, poke } = wakeableSleep();

  /** Sequences until stopped; returns (to re-acquire the lock) when `alive` says the session is gone. */
  const work = async (seq: Sequencer, alive: () => Promise<boolean>) => {
    while (!stopped) {
      let n = 0;
      try {
        n = await seq.step();
        if (n === 0) await seq.checkpointIfDue();
      } catch (err) {
        if (!(err instanceof StaleSequencerError)) opts.onError?.(err);
        if (!(await alive())) return;
        await sleep(pollMs * 4);
      }
      // Caught up, it waits a poll even when the step found a few events: under a
      // steady stream of appends it then sequences a poll's worth per batch (one
      // transaction, one commit) instead of chasing every commit with a batch of
      // its own, which took CPU and WAL flushes from the writers it follows.
      if ((n === 0 || seq.caughtUp) && !stopped) await sleep(pollMs);
    }
  };

  const exclusive = async () => {
    while (!stopped) {
      try {
        await opts.db.reserve(async (conn) => {
          // Standby until the lock is ours: exactly one sequencer in the cluster.
          while (!stopped) {
            const [row] = await conn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`);
            if (row?.ok) break;
            await sleep(Math.max(pollMs * 8, 200));
          }
          if (stopped) return;
          const seq = createSequencer({ ...opts, db: sessionDb(opts.db, conn) });
          const alive = () =>
            conn.query("SELECT 1").then(
              () => true,
              () => false,
            );
          try {
            await work(seq, alive);
          } finally {
            await conn.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => {});
          }
        });
      } catch (err) {
        opts.onError?.(err);
      }
      if (!stopped) await sleep(Math.max(pollMs * 8, 200));
    }
  };

  const loop = opts.exclusive === false ? work(createSequencer(opts), async () => true) : exclusive();

  return {
    poke,
    async stop() {
      stopped = true;
      poke();
      await loop;
    },
  };
}
