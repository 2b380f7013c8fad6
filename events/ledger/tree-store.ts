/**
 * Reading the ledger's stored tree: the stored complete subtrees a root or a
 * proof needs are computed first (merkle.ts), then fetched in one query, so a
 * proof costs one round trip and O(log n) rows whatever the tree's size (fewer
 * with a NodeCache, which keeps the upper levels every proof shares).
 */
import type { Sql } from "../../db/client.ts";
import {
  consistencyRanges,
  edgeNodes,
  type Hash,
  inclusionRanges,
  type NodeLookup,
  type NodeRef,
  nodesFor,
  rangeHash,
} from "./merkle.ts";

const bytes = (v: Uint8Array): Hash => (v.constructor === Uint8Array ? v : new Uint8Array(v));

/** Two hex digits per byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, "0"));

/** Lowercase hex; a table lookup per byte (a proof response encodes a few dozen hashes). */
export function toHex(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i++) out += HEX_BYTE[b[i]!];
  return out;
}

/** One level's cached hashes, packed by index (32 bytes each) with a presence flag. */
class LevelHashes {
  #bytes = new Uint8Array(0);
  #have = new Uint8Array(0);
  /** Hex of the nodes asked for in hex: proofs are served in hex, and these are shared. */
  readonly #hex: string[] = [];
  count = 0;
  hex(index: number): string | undefined {
    const h = this.#hex[index];
    if (h !== undefined || this.#have[index] !== 1) return h;
    this.#hex[index] = toHex(this.get(index)!);
    return this.#hex[index];
  }
  get(index: number): Hash | undefined {
    return this.#have[index] === 1 ? this.#bytes.subarray(index * 32, index * 32 + 32) : undefined;
  }
  set(index: number, hash: Hash): void {
    if (index >= this.#have.length) this.#grow(index + 1);
    if (this.#have[index] === 1) return;
    this.#bytes.set(hash, index * 32);
    this.#have[index] = 1;
    this.count++;
  }
  #grow(min: number): void {
    const cap = Math.max(min, this.#have.length * 2, 64);
    const bytes = new Uint8Array(cap * 32);
    bytes.set(this.#bytes);
    const have = new Uint8Array(cap);
    have.set(this.#have);
    this.#bytes = bytes;
    this.#have = have;
  }
}

/**
 * Stored nodes in memory. A stored node is a complete subtree, written once by
 * the sequencer and never changed, so a copy can never go stale. Only levels
 * from a floor up are kept: they are few (under 2n / 2^floor for n leaves) and
 * shared by every proof, while the levels below are mostly different for each
 * leaf asked about. The floor starts at `minLevel` and rises as the tree grows
 * so that everything above it fits in `maxEntries`; `warm` loads all of it at
 * once, so proofs read from the database only what lies below the floor.
 */
export class NodeCache {
  #levels: (LevelHashes | undefined)[] = [];
  #floor: number;
  #warmed = -1;
  #warming: Promise<void> | undefined;
  constructor(
    readonly minLevel = 6,
    readonly maxEntries = 1 << 17,
  ) {
    this.#floor = minLevel;
  }

  /** The lowest level kept: proofs fetch the nodes below it themselves. */
  get floor(): number {
    return this.#floor;
  }

  /** Raises the floor, if needed, so the levels kept for a tree of `size` fit; returns it. */
  floorFor(size: number): number {
    let floor = this.#floor;
    while (size / 2 ** (floor - 1) > this.maxEntries) floor++;
    if (floor > this.#floor) {
      for (let l = this.#floor; l < floor; l++) this.#levels[l] = undefined;
      this.#floor = floor;
    }
    return floor;
  }

  get(level: number, index: number): Hash | undefined {
    return level >= this.#floor ? this.#levels[level]?.get(index) : undefined;
  }

  /** A kept node's hash in lowercase hex (computed once). */
  hex(level: number, index: number): string | undefined {
    return level >= this.#floor ? this.#levels[level]?.hex(index) : undefined;
  }

  set(level: number, index: number, hash: Hash): void {
    if (level < this.#floor) return;
    const l = this.#levels[level] ?? new LevelHashes();
    this.#levels[level] = l;
    l.set(index, hash);
  }

  /** How many nodes are held. */
  get size(): number {
    return this.#levels.reduce((n, l) => n + (l?.count ?? 0), 0);
  }

  /**
   * Loads every stored node from the floor up (one query, once per floor), so
   * that even the first proofs need no second round trip. Nodes stored later
   * are fetched when first needed. A failure is left to that on-demand path.
   */
  warm(sql: Sql): Promise<void> {
    // Levels from a lower floor up were loaded: that covers this one.
    if (this.#warmed >= 0 && this.#warmed <= this.#floor) return Promise.resolve();
    if (this.#warming) return this.#warming;
    const floor = this.#floor;
    this.#warming = (async () => {
      try {
        const rows = await sql.query<{ level: number; idx: number | string; hash: Uint8Array }>(
          // Bounded whatever the caller's idea of the size: the top levels first.
          "SELECT level, idx, hash FROM ledger_nodes WHERE level >= $1 ORDER BY level DESC, idx LIMIT $2",
          [floor, this.maxEntries],
        );
        for (const r of rows) this.set(Number(r.level), Number(r.idx), r.hash);
        this.#warmed = floor;
      } catch {
        // Proofs fetch what they miss; the next one tries again.
      } finally {
        this.#warming = undefined;
      }
    })();
    return this.#warming;
  }
}

/**
 * Fetches stored nodes (those not in `cache`, in one query); the lookup returns
 * undefined for a node that is not stored (yet).
 */
export async function fetchNodes(sql: Sql, refs: readonly NodeRef[], cache?: NodeCache): Promise<NodeLookup> {
  const found = new Map<string, Hash>();
  const missing: NodeRef[] = [];
  for (const r of refs) {
    const h = cache?.get(r.level, r.index);
    if (h) found.set(`${r.level}:${r.index}`, h);
    else missing.push(r);
  }
  if (missing.length > 0) {
    const rows = await sql.query<{ level: number; idx: number; hash: Uint8Array }>(
      `SELECT n.level, n.idx, n.hash
         FROM unnest(string_to_array($1::text, ',')::smallint[], string_to_array($2::text, ',')::bigint[]) AS r(level, idx)
         JOIN ledger_nodes n ON n.level = r.level AND n.idx = r.idx`,
      [missing.map((r) => r.level).join(","), missing.map((r) => r.index).join(",")],
    );
    for (const r of rows) {
      const level = Number(r.level);
      const index = Number(r.idx);
      const hash = bytes(r.hash);
      found.set(`${level}:${index}`, hash);
      cache?.set(level, index, hash);
    }
  }
  return (level, index) => found.get(`${level}:${index}`);
}

/** How many leaves the ledger holds now. */
export async function ledgerSize(sql: Sql): Promise<number> {
  const [row] = await sql.query<{ size: number | string }>(
    "SELECT coalesce(max(position) + 1, 0) AS size FROM ledger_entries",
  );
  return Number(row?.size ?? 0);
}

/** The right edge of the tree of `size` (what the sequencer restores its accumulator from). */
export async function loadEdge(sql: Sql, size: number): Promise<Hash[]> {
  const refs = edgeNodes(size);
  const lookup = await fetchNodes(sql, refs);
  return refs.map((r) => {
    const h = lookup(r.level, r.index);
    if (!h) throw new Error(`ledger node (${r.level}, ${r.index}) is missing`);
    return h;
  });
}

export async function rootAt(sql: Sql, size: number): Promise<Hash> {
  const range = { start: 0, end: size };
  return rangeHash(range, await fetchNodes(sql, nodesFor([range])));
}

export interface InclusionAt {
  leafHash: Hash;
  proof: Hash[];
  rootHash: Hash;
}

/** Leaf `index`'s hash, audit path and the root of the tree of `size` (the caller checks index < size ≤ ledger size). */
export async function inclusionAt(
  sql: Sql,
  index: number,
  size: number,
  cache?: NodeCache,
): Promise<InclusionAt> {
  const ranges = inclusionRanges(index, size);
  const whole = { start: 0, end: size };
  const lookup = await fetchNodes(sql, [{ level: 0, index }, ...nodesFor([...ranges, whole])], cache);
  const leafHash = lookup(0, index);
  if (!leafHash) throw new Error(`ledger leaf ${index} is missing`);
  return { leafHash, proof: ranges.map((r) => rangeHash(r, lookup)), rootHash: rangeHash(whole, lookup) };
}

export interface ConsistencyAt {
  proof: Hash[];
  root1: Hash;
  root2: Hash;
}

/** The consistency proof from `size1` to `size2`, with both roots, in one fetch. */
export async function consistencyAt(
  sql: Sql,
  size1: number,
  size2: number,
  cache?: NodeCache,
): Promise<ConsistencyAt> {
  const ranges = consistencyRanges(size1, size2);
  const r1 = { start: 0, end: size1 };
  const r2 = { start: 0, end: size2 };
  const lookup = await fetchNodes(sql, nodesFor([...ranges, r1, r2]), cache);
  return {
    proof: ranges.map((r) => rangeHash(r, lookup)),
    root1: rangeHash(r1, lookup),
    root2: rangeHash(r2, lookup),
  };
}
