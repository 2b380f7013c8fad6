/**
 * The RFC 6962 / RFC 9162 Merkle tree of the ledger: hashes, roots, inclusion
 * and consistency proofs, and their verification.
 *
 * Pure and dependency-light (only @noble/hashes) so the offline verifier can
 * import it without anything of Vigil's runtime.
 *
 * Storage model: a node `(level, index)` is the root of the complete subtree
 * over leaves [index·2^level, (index+1)·2^level). Once complete such a node
 * never changes, so the ledger stores each one as it completes. Every hash a
 * proof needs is the RFC 6962 hash of a range D[start:end] that splits into
 * at most ~log2(n) stored complete subtrees, so a proof costs O(log n) reads.
 */
import { sha256 } from "@noble/hashes/sha2.js";

export type Hash = Uint8Array;

/** A complete subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/** A range of leaves [start, end) whose RFC 6962 hash is one proof element. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** Looks up a stored complete-subtree hash (throws or returns undefined when absent). */
export type NodeLookup = (level: number, index: number) => Hash | undefined;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** Leaf hash: SHA-256(0x00 ‖ data); for the ledger the data is the event's stored hash. */
export function leafHash(data: Uint8Array): Hash {
  const h = sha256.create();
  h.update(LEAF_PREFIX);
  h.update(data);
  return h.digest();
}

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  const h = sha256.create();
  h.update(NODE_PREFIX);
  h.update(left);
  h.update(right);
  return h.digest();
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

function isSafeCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * The complete subtrees that make up [start, end), largest first. Every range
 * a proof asks for starts at a multiple of a power of two at least as large as
 * its first component, which is what makes this decomposition valid.
 */
export function rangeNodes(range: LeafRange): NodeRef[] {
  const out: NodeRef[] = [];
  let pos = range.start;
  while (pos < range.end) {
    let level = 0;
    let width = 1;
    // Grow while still aligned and still inside the range (sizes past 2^31: no bit operators).
    while (pos % (width * 2) === 0 && pos + width * 2 <= range.end) {
      width *= 2;
      level++;
    }
    out.push({ level, index: pos / width });
    pos += width;
  }
  return out;
}

/** The one complete subtree a range is, if it is one (its width a power of two, its start aligned). */
export function completeNode(range: LeafRange): NodeRef | undefined {
  const width = range.end - range.start;
  if (width < 1) return undefined;
  let level = 0;
  let w = 1;
  while (w < width) {
    w *= 2;
    level++;
  }
  return w === width && range.start % width === 0 ? { level, index: range.start / width } : undefined;
}

/**
 * RFC 6962 hash of a range from its stored complete subtrees: MTH splits at
 * the largest power of two below the size, which is exactly the first
 * component, so the hash is a right fold over the components.
 */
export function rangeHash(range: LeafRange, lookup: NodeLookup): Hash {
  if (range.end <= range.start) return EMPTY_ROOT;
  const nodes = rangeNodes(range);
  let acc: Hash | undefined;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const h = lookup(n.level, n.index);
    if (!h) throw new Error(`missing ledger node (${n.level}, ${n.index})`);
    acc = acc ? nodeHash(h, acc) : h;
  }
  return acc!;
}

/** The ranges of the audit path of leaf `index` in a tree of `size` leaves, leaf to root (RFC 9162 §2.1.3.1). */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!isSafeCount(index) || !isSafeCount(size) || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  }
  const path: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index - start < k) {
      path.push({ start: start + k, end });
      end = start + k;
    } else {
      path.push({ start, end: start + k });
      start += k;
    }
  }
  return path.reverse();
}

/** The ranges of the consistency proof from `size1` to `size2` (RFC 9162 §2.1.4.1). */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  if (!isSafeCount(size1) || !isSafeCount(size2) || size1 > size2) {
    throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  }
  if (size1 === 0 || size1 === size2) return [];
  const proof: LeafRange[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled.
  let start = 0;
  let end = size2;
  let m = size1;
  let complete = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!complete) proof.push({ start, end });
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push({ start: start + k, end });
      end = start + k;
    } else {
      proof.push({ start, end: start + k });
      start += k;
      m -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

/** Every stored node the given ranges need: fetch these in one query, then hash. */
export function nodesFor(ranges: readonly LeafRange[]): NodeRef[] {
  const seen = new Set<string>();
  const out: NodeRef[] = [];
  for (const r of ranges) {
    for (const n of rangeNodes(r)) {
      const key = `${n.level}:${n.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(n);
      }
    }
  }
  return out;
}

export function inclusionProof(index: number, size: number, lookup: NodeLookup): Hash[] {
  return inclusionRanges(index, size).map((r) => rangeHash(r, lookup));
}

export function consistencyProof(size1: number, size2: number, lookup: NodeLookup): Hash[] {
  return consistencyRanges(size1, size2).map((r) => rangeHash(r, lookup));
}

export function rootFromNodes(size: number, lookup: NodeLookup): Hash {
  return rangeHash({ start: 0, end: size }, lookup);
}

/** The root of a list of leaf hashes, without any storage (stack of complete subtrees). */
export function rootOfLeaves(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  const acc = new MerkleAccumulator();
  for (const l of leaves) acc.append(l);
  return acc.root();
}

export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `index` with hash `leaf` in the tree of `size` with `root`? */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!isSafeCount(index) || !isSafeCount(size) || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `size1` with `root1` is a prefix of the tree of `size2` with `root2`? */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): boolean {
  if (!isSafeCount(size1) || !isSafeCount(size2) || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && equalHashes(root1, root2);
  // The empty tree is a prefix of every tree; there is nothing to prove.
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = [...proof];
  // When size1 is a power of two, the old root itself starts the path.
  if (isPowerOfTwo(size1)) path.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, root1) && equalHashes(sr, root2);
}

/**
 * Appends leaves and reports each complete subtree as it completes: the
 * sequencer stores exactly these nodes. Holds only the right edge (one node
 * per set bit of the size), which it can be restored from.
 */
export class MerkleAccumulator {
  #size: number;
  /** Right-edge complete subtrees, largest (leftmost) first. */
  #edge: { level: number; hash: Hash }[];

  constructor(size = 0, edge: readonly Hash[] = []) {
    const levels = edgeLevels(size);
    if (levels.length !== edge.length) throw new Error(`a tree of ${size} has ${levels.length} edge nodes`);
    this.#size = size;
    this.#edge = levels.map((level, i) => ({ level, hash: edge[i]! }));
  }

  get size(): number {
    return this.#size;
  }

  /** An independent copy: the sequencer works on one and keeps it only once its batch commits. */
  clone(): MerkleAccumulator {
    return new MerkleAccumulator(
      this.#size,
      this.#edge.map((e) => e.hash),
    );
  }

  /** Adds one leaf hash; returns the nodes that became complete, leaf first. */
  append(leaf: Hash): { level: number; index: number; hash: Hash }[] {
    const index = this.#size;
    const done = [{ level: 0, index, hash: leaf }];
    let cur = { level: 0, hash: leaf };
    let idx = index;
    while (this.#edge.length > 0 && this.#edge[this.#edge.length - 1]!.level === cur.level) {
      const left = this.#edge.pop()!;
      cur = { level: cur.level + 1, hash: nodeHash(left.hash, cur.hash) };
      idx = Math.floor(idx / 2);
      done.push({ level: cur.level, index: idx, hash: cur.hash });
    }
    this.#edge.push(cur);
    this.#size++;
    return done;
  }

  root(): Hash {
    if (this.#size === 0) return EMPTY_ROOT;
    let acc: Hash | undefined;
    for (let i = this.#edge.length - 1; i >= 0; i--) {
      const h = this.#edge[i]!.hash;
      acc = acc ? nodeHash(h, acc) : h;
    }
    return acc!;
  }
}

/** The levels of the right-edge complete subtrees of a tree of `size`, largest first. */
export function edgeLevels(size: number): number[] {
  const out: number[] = [];
  for (let level = 52; level >= 0; level--) {
    if (Math.floor(size / 2 ** level) % 2 === 1) out.push(level);
  }
  return out;
}

/** The right-edge nodes of a tree of `size` (what MerkleAccumulator restores from). */
export function edgeNodes(size: number): NodeRef[] {
  let start = 0;
  return edgeLevels(size).map((level) => {
    const ref = { level, index: start / 2 ** level };
    start += 2 ** level;
    return ref;
  });
}
