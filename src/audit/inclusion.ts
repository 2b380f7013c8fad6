/**
 * Inclusion proofs as the API serves them, at about the cost of authenticating
 * the request: one round trip reads the event's position, the leaf and its
 * siblings below the node cache's floor (the "bottom tile"), and the checkpoint
 * of the size asked for; everything above comes from memory.
 *
 * What is cached never changes: a stored node (a complete subtree), the hash of
 * a range of a given tree size, a signed checkpoint. The ledger's size only
 * grows, so a size once seen needs no re-reading to accept smaller ones.
 */
import type { Sql } from "../../db/client.ts";
import {
  completeNode,
  type Hash,
  inclusionRanges,
  type LeafRange,
  nodesFor,
  rangeHash,
} from "../../events/ledger/merkle.ts";
import { fetchNodes, NodeCache, toHex } from "../../events/ledger/tree-store.ts";
import { AppError } from "../http/errors.ts";
import { type CheckpointRow, checkSize, type StoredCheckpoint, toCheckpoint } from "./ledger.ts";

/** A hash with its hex, which is what is served (the hex of shared nodes is computed once). */
export interface HexHash {
  readonly hash: Hash;
  readonly hex: string;
}

export interface ServedInclusion {
  eventId: string;
  position: number;
  size: number;
  leaf: HexHash;
  /** The audit path, leaf to root. */
  path: HexHash[];
  root: HexHash;
  checkpoint: StoredCheckpoint | undefined;
}

/** The JSON of each checkpoint served, made once (they are cached, so the same objects recur). */
const checkpointJson = new WeakMap<StoredCheckpoint, string>();

/**
 * The response body (InclusionProof in /openapi.json), written directly: every
 * value but the checkpoint's text is a number, a uuid or hex, nothing to escape.
 */
export function inclusionJson(p: ServedInclusion): string {
  let cp = "null";
  if (p.checkpoint) {
    cp = checkpointJson.get(p.checkpoint) ?? JSON.stringify(p.checkpoint);
    checkpointJson.set(p.checkpoint, cp);
  }
  let path = "";
  for (const h of p.path) path += path === "" ? `"${h.hex}"` : `,"${h.hex}"`;
  return (
    `{"eventId":${JSON.stringify(p.eventId)},"leafIndex":${p.position},"treeSize":${p.size},` +
    `"leafHash":"${p.leaf.hex}","auditPath":[${path}],"rootHash":"${p.root.hex}","checkpoint":${cp}}`
  );
}

/** A Map that forgets its oldest entry past `max` (what it holds is immutable, so only memory is at stake). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

/** `checkpoint` in the query: the one of that size, the latest, or none wanted. */
const LATEST = -1;
const NONE = -2;

type TileRow = Partial<CheckpointRow> & {
  position: number | string | null;
  leaf: Uint8Array | null;
  ledger_size: number | string | null;
  [sibling: `s${number}`]: Uint8Array | null;
};

/** The query for a floor of `levels`: the sibling at each level below it is one index probe. */
function tileQuery(levels: number): string {
  const siblings = Array.from(
    { length: levels },
    (_, l) =>
      `(SELECT hash FROM ledger_nodes WHERE level = ${l} AND idx = (e.position >> ${l}) # 1) AS s${l}`,
  );
  return `SELECT e.position,
            (SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = e.position) AS leaf,
            ${siblings.join(",\n            ")},
            CASE WHEN $3::boolean THEN (SELECT max(position) + 1 FROM ledger_entries) END AS ledger_size,
            cp.tree_size, cp.root_hash, cp.note, cp.key_id, cp.signed_at
       FROM (SELECT 1) AS one
       LEFT JOIN ledger_entries e ON e.event_id = $1::uuid
       LEFT JOIN ledger_checkpoints cp ON cp.tree_size = CASE
         WHEN $2::bigint >= 0 THEN $2::bigint
         WHEN $2::bigint = ${LATEST} THEN (SELECT max(tree_size) FROM ledger_checkpoints) END`;
}

export class InclusionProofs {
  readonly #sql: Sql;
  readonly #queries = new Map<number, string>();
  /** The ledger has at least this many entries. */
  #knownSize = 0;
  readonly #checkpoints = new BoundedMap<number, StoredCheckpoint>(1024);
  /** Per tree size, the hashes of its ranges that are not one stored node (the root among them), by start. */
  readonly #rangeHashes = new BoundedMap<number, Map<number, HexHash>>(64);

  /** `nodes`: the tree's upper levels, shared by every proof (consistency proofs use it too). */
  constructor(
    sql: Sql,
    readonly nodes = new NodeCache(),
  ) {
    this.#sql = sql;
  }

  /** The proof for an event in the tree of `size` (default: the latest checkpoint's). */
  async prove(eventId: string, size?: number): Promise<ServedInclusion> {
    const known = this.#knownSize;
    // Only sizes already proven to exist choose the floor: a request's own size is checked first.
    const floor = this.nodes.floorFor(known);
    const cached = size === undefined ? undefined : this.#checkpoints.get(size);
    const text = this.#queries.get(floor) ?? tileQuery(floor);
    this.#queries.set(floor, text);
    const checkpoint = size === undefined ? LATEST : cached ? NONE : size;
    const [row] = await this.#sql.query<TileRow>(text, [eventId, checkpoint, (size ?? 0) > known]);
    if (row?.position === null || row?.position === undefined) {
      throw new AppError("not_found", "That event is not in the ledger (yet)");
    }
    const position = Number(row.position);
    if (row.ledger_size !== null) this.#knownSize = Math.max(this.#knownSize, Number(row.ledger_size));
    const found =
      row.tree_size === null || row.tree_size === undefined ? undefined : toCheckpoint(row as CheckpointRow);
    if (found) {
      this.#checkpoints.set(found.treeSize, found);
      this.#knownSize = Math.max(this.#knownSize, found.treeSize);
    }
    if (size === undefined && !found)
      throw new AppError("not_found", "No checkpoint has been signed yet; pass a size");
    const treeSize = size ?? found!.treeSize;
    checkSize(treeSize, this.#knownSize, "size");
    if (position >= treeSize) {
      throw new AppError(
        "unprocessable",
        `The event is at position ${position}, outside a tree of ${treeSize}`,
      );
    }
    if (!row.leaf) throw new Error(`ledger leaf ${position} is missing`);
    this.nodes.floorFor(this.#knownSize);
    await this.nodes.warm(this.#sql);
    const leaf = { hash: row.leaf, hex: toHex(row.leaf) };
    const { path, root } = await this.#hashes(position, treeSize, floor, row);
    return { eventId, position, size: treeSize, leaf, path, root, checkpoint: cached ?? found };
  }

  /** The audit path and root from the tile, the cache and (only if those miss something) one more fetch. */
  async #hashes(position: number, size: number, floor: number, row: TileRow) {
    const extra = new Map<string, Hash>();
    const lookup = (level: number, index: number): Hash | undefined => {
      if (level < floor) {
        const up = Math.floor(position / 2 ** level);
        const sibling = up % 2 === 0 ? up + 1 : up - 1;
        if (index === sibling) return row[`s${level}`] ?? extra.get(`${level}:${index}`);
        if (level === 0 && index === position) return row.leaf ?? undefined;
        return extra.get(`${level}:${index}`);
      }
      return this.nodes.get(level, index) ?? extra.get(`${level}:${index}`);
    };
    const hexOf = (level: number, index: number, h: Hash): string =>
      (level >= floor ? this.nodes.hex(level, index) : undefined) ?? toHex(h);
    let memo = this.#rangeHashes.get(size);
    if (!memo) {
      memo = new Map();
      this.#rangeHashes.set(size, memo);
    }
    const ranges = inclusionRanges(position, size);
    const whole = { start: 0, end: size };
    const hashOf = (r: LeafRange): HexHash => {
      const node = completeNode(r);
      if (node) {
        const hash = lookup(node.level, node.index);
        if (!hash) throw new MissingNode();
        return { hash, hex: hexOf(node.level, node.index, hash) };
      }
      // Not one node: [start, size) on the tree's right edge, the same for every leaf left of it.
      let h = memo.get(r.start);
      if (!h) {
        const hash = rangeHash(r, (l, i) => lookup(l, i) ?? missing());
        h = { hash, hex: toHex(hash) };
        memo.set(r.start, h);
      }
      return h;
    };
    const compute = () => ({ path: ranges.map(hashOf), root: hashOf(whole) });
    try {
      return compute();
    } catch (err) {
      if (!(err instanceof MissingNode)) throw err;
    }
    // Nodes stored since the cache was warmed, or on the right edge below the floor: fetch them.
    const want = nodesFor([...ranges, whole]).filter((n) => !lookup(n.level, n.index));
    const fetched = await fetchNodes(this.#sql, want, this.nodes);
    for (const n of want) {
      const h = fetched(n.level, n.index);
      if (h) extra.set(`${n.level}:${n.index}`, h);
    }
    try {
      return compute();
    } catch (err) {
      if (err instanceof MissingNode)
        throw new Error(`ledger nodes for leaf ${position} of ${size} are missing`);
      throw err;
    }
  }
}

class MissingNode extends Error {}

function missing(): never {
  throw new MissingNode();
}
