/**
 * The export's view of the ledger on the database: events by ledger position
 * with their stored hashes (the rows as stored, never upcast: the hash covers
 * what was stored), the stored checkpoints, the stored subtrees, and the
 * checkpoint key to sign the manifest with.
 */

import type { Db } from "../../../db/client.ts";
import { nodesFor, rangeHash } from "../../../events/ledger/merkle.ts";
import { fetchNodes } from "../../../events/ledger/tree-store.ts";
import { isSealed, SEALED_PREFIX, subjectOfSealed } from "../../../events/pii.ts";
import type { ExportedEvent } from "../../../verifier/format.ts";
import type { CheckpointKeys } from "../checkpoint-keys.ts";
import { latestCheckpoint } from "../ledger.ts";
import { ExportError, type LedgerView } from "./bundle.ts";
import { RawJson } from "./lines.ts";

interface Row {
  position: number;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  /** JSON text: written into the bundle as it is, never parsed (src/audit/exports/lines.ts). */
  data: string;
  metadata: string;
  /** As `toISOString` writes it: the column keeps milliseconds, as the store wrote them. */
  recorded_at: string;
  /** Lowercase hex. */
  prev_hash: string;
  hash: string;
}

/**
 * Flags the events whose sealed personal data belongs to an erased person:
 * exported as stored (the hashes cover the ciphertext), marked as unreadable.
 */
async function markErased(db: Db, events: ExportedEvent[]): Promise<void> {
  // Most batches hold no sealed value at all: one substring search per event settles that.
  const sealed = (v: unknown) => !(v instanceof RawJson) || v.text.includes(`"${SEALED_PREFIX}`);
  if (!events.some((e) => sealed(e.data) || sealed(e.metadata))) return;
  // Raw JSON text is parsed only when it can hold a sealed value at all.
  const record = (v: unknown) =>
    v instanceof RawJson ? (v.text.includes(`"${SEALED_PREFIX}`) ? JSON.parse(v.text) : null) : v;
  const subjectsOf = (e: ExportedEvent) =>
    [record(e.data), record(e.metadata)].flatMap((rec) =>
      rec && typeof rec === "object"
        ? Object.values(rec as Record<string, unknown>).flatMap((v) =>
            isSealed(v) ? [subjectOfSealed(v) ?? ""] : [],
          )
        : [],
    );
  const all = new Set(events.flatMap(subjectsOf));
  if (all.size === 0) return;
  const rows = await db.query<{ subject: string }>(
    "SELECT subject FROM subject_keys WHERE wrapped IS NULL AND subject = ANY(string_to_array($1::text, ','))",
    [[...all].join(",")],
  );
  if (rows.length === 0) return;
  const erased = new Set(rows.map((r) => r.subject));
  for (const e of events) e.erased = subjectsOf(e).some((s) => erased.has(s));
}

/** Rows per read: large enough to amortise the round trip, small enough to stream. */
export const EXPORT_BATCH = 5000;

export function ledgerView(opts: {
  db: Db;
  origin: string;
  keys: CheckpointKeys;
  batch?: number;
}): LedgerView {
  const { db } = opts;
  const batch = opts.batch ?? EXPORT_BATCH;
  return {
    origin: opts.origin,
    async *events(from, to) {
      const read = (start: number) =>
        db.query<Row>(
          // Joined on the log's unique read-order key (tx_id, id), a bounded slice of
          // positions at a time: the planner then walks both indexes. (`id` alone has
          // no index since the stream key became the primary key: joined on it, each
          // batch scanned and hashed the whole log.) Data and metadata come as text, and the
          // time and hashes as the bundle writes them: formatted by the database, which works
          // on the next batch while this process writes one out.
          `SELECT l.position, e.stream_id, e.stream_version, e.event_id::text AS event_id, e.type, e.schema_version,
                  e.data::text AS data, e.metadata::text AS metadata,
                  to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
                  encode(e.prev_hash, 'hex') AS prev_hash, encode(e.hash, 'hex') AS hash
             FROM ledger_entries l JOIN events e ON e.tx_id = l.log_tx_id AND e.id = l.log_id
            WHERE l.position >= $1 AND l.position < $2
            ORDER BY l.position`,
          [start, Math.min(to, start + batch)],
        );
      let next = from;
      let pending = next < to ? read(next) : undefined;
      while (pending) {
        const rows = await pending;
        // The next batch is read while this one is written out.
        const after = next + rows.length;
        pending = rows.length > 0 && after < to ? read(after) : undefined;
        // Settled by the next turn, or left behind when the consumer stops early.
        pending?.catch(() => {});
        const out: ExportedEvent[] = rows.map((r) => ({
          position: Number(r.position),
          stream_id: r.stream_id,
          stream_version: Number(r.stream_version),
          event_id: r.event_id,
          type: r.type,
          schema_version: r.schema_version,
          data: new RawJson(r.data),
          metadata: new RawJson(r.metadata),
          recorded_at: r.recorded_at,
          prev_hash: r.prev_hash,
          hash: r.hash,
          erased: false,
        }));
        await markErased(db, out);
        // Positions are dense: anything else means the ledger itself is damaged.
        out.forEach((e, i) => {
          if (e.position !== next + i) throw new ExportError(`ledger position ${next + i} has no event`);
        });
        if (out.length === 0) throw new ExportError(`ledger position ${next} has no event`);
        next = after;
        yield out;
      }
    },
    async latestCheckpoint() {
      const cp = await latestCheckpoint(db);
      return cp ? { size: cp.treeSize, note: cp.note } : null;
    },
    async checkpointCovering(size) {
      const [row] = await db.query<{ tree_size: number; note: string }>(
        "SELECT tree_size, note FROM ledger_checkpoints WHERE tree_size >= $1 ORDER BY tree_size LIMIT 1",
        [size],
      );
      return row ? { size: Number(row.tree_size), note: row.note } : null;
    },
    async rangeHashes(ranges) {
      const lookup = await fetchNodes(db, nodesFor(ranges));
      return ranges.map((r) => rangeHash(r, lookup));
    },
    async signNote(text) {
      return (await opts.keys.sign(text)).note;
    },
    async verifierKeys() {
      return (await opts.keys.list()).map((k) => k.verifierKey);
    },
  };
}

/**
 * Ledger positions from times: `from` is the first position recorded at or
 * after it, `to` one past the last position recorded before it. (A scan of the
 * ledger joined to the log: exports are rare, and no index on recorded_at is
 * kept for them.)
 */
export async function positionAt(db: Db, time: string, side: "from" | "to"): Promise<number> {
  const sql =
    side === "from"
      ? `SELECT coalesce(min(l.position), (SELECT coalesce(max(position) + 1, 0) FROM ledger_entries)) AS p
           FROM ledger_entries l JOIN events e ON e.event_id = l.event_id WHERE e.recorded_at >= $1`
      : `SELECT coalesce(max(l.position) + 1, 0) AS p
           FROM ledger_entries l JOIN events e ON e.event_id = l.event_id WHERE e.recorded_at < $1`;
  const [row] = await db.query<{ p: number }>(sql, [time]);
  return Number(row?.p ?? 0);
}
