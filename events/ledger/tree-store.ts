/**
 * Reading the ledger's stored tree: the stored complete subtrees a root or a
 * proof needs are computed first (merkle.ts), then fetched in one query, so a
 * proof costs one round trip and O(log n) rows whatever the tree's size.
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

/** Fetches stored nodes; the lookup returns undefined for a node that is not stored (yet). */
export async function fetchNodes(sql: Sql, refs: readonly NodeRef[]): Promise<NodeLookup> {
  const found = new Map<string, Hash>();
  if (refs.length > 0) {
    const rows = await sql.query<{ level: number; idx: number; hash: Uint8Array }>(
      `SELECT n.level, n.idx, n.hash
         FROM unnest(string_to_array($1::text, ',')::smallint[], string_to_array($2::text, ',')::bigint[]) AS r(level, idx)
         JOIN ledger_nodes n ON n.level = r.level AND n.idx = r.idx`,
      [refs.map((r) => r.level).join(","), refs.map((r) => r.index).join(",")],
    );
    for (const r of rows) found.set(`${r.level}:${Number(r.idx)}`, bytes(r.hash));
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
export async function inclusionAt(sql: Sql, index: number, size: number): Promise<InclusionAt> {
  const ranges = inclusionRanges(index, size);
  const whole = { start: 0, end: size };
  const lookup = await fetchNodes(sql, [{ level: 0, index }, ...nodesFor([...ranges, whole])]);
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
export async function consistencyAt(sql: Sql, size1: number, size2: number): Promise<ConsistencyAt> {
  const ranges = consistencyRanges(size1, size2);
  const r1 = { start: 0, end: size1 };
  const r2 = { start: 0, end: size2 };
  const lookup = await fetchNodes(sql, nodesFor([...ranges, r1, r2]));
  return {
    proof: ranges.map((r) => rangeHash(r, lookup)),
    root1: rangeHash(r1, lookup),
    root2: rangeHash(r2, lookup),
  };
}
