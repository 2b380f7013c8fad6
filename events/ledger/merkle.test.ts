import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  consistencyProof,
  EMPTY_ROOT,
  edgeNodes,
  type Hash,
  inclusionProof,
  leafHash,
  MerkleAccumulator,
  rootFromNodes,
  rootOfLeaves,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.ts";

// An independent, naive reference: RFC 6962 §2.1 written out literally, recursing over the leaves.
const ref = {
  node(l: Hash, r: Hash): Hash {
    return sha256(new Uint8Array([0x01, ...l, ...r]));
  },
  k(n: number): number {
    return 2 ** Math.ceil(Math.log2(n) - 1);
  },
  mth(d: readonly Hash[]): Hash {
    if (d.length === 0) return sha256(new Uint8Array(0));
    if (d.length === 1) return d[0]!;
    const k = ref.k(d.length);
    return ref.node(ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
  },
  path(m: number, d: readonly Hash[]): Hash[] {
    if (d.length <= 1) return [];
    const k = ref.k(d.length);
    if (m < k) return [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))];
    return [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
  },
  subproof(m: number, d: readonly Hash[], b: boolean): Hash[] {
    const n = d.length;
    if (m === n) return b ? [] : [ref.mth(d)];
    const k = ref.k(n);
    if (m <= k) return [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))];
    return [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
  },
  proof(m: number, d: readonly Hash[]): Hash[] {
    if (m === 0 || m === d.length) return [];
    return ref.subproof(m, d, true);
  },
};

/** Builds the stored-node table the ledger keeps, from leaf hashes. */
function storedTree(leaves: readonly Hash[]) {
  const nodes = new Map<string, Hash>();
  const acc = new MerkleAccumulator();
  for (const l of leaves) for (const n of acc.append(l)) nodes.set(`${n.level}:${n.index}`, n.hash);
  return { acc, lookup: (level: number, index: number) => nodes.get(`${level}:${index}`) };
}

const syntheticLeaves = (n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`event-${i}`)));
const hex = (hs: readonly Hash[]) => hs.map(bytesToHex);

// Certificate Transparency's RFC 6962 vectors (transparency-dev/merkle testonly data).
const CT_LEAVES = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map((h) => leafHash(hexToBytes(h)));
const CT_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

describe("RFC 6962 vectors", () => {
  it("roots for sizes 0..8", () => {
    expect(bytesToHex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    const { lookup } = storedTree(CT_LEAVES);
    for (let n = 0; n <= 8; n++) {
      expect(bytesToHex(rootOfLeaves(CT_LEAVES.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
      expect(bytesToHex(rootFromNodes(n, lookup)), `stored size ${n}`).toBe(CT_ROOTS[n]);
    }
  });

  it("inclusion and consistency proofs", () => {
    const { lookup } = storedTree(CT_LEAVES);
    expect(hex(inclusionProof(0, 8, lookup))).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
    expect(hex(inclusionProof(5, 8, lookup))).toEqual([
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]);
    expect(hex(consistencyProof(2, 8, lookup))).toEqual([
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
  });
});

// 0, 1, powers of two and ±1 around them.
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129];

describe("stored-node proofs agree with the naive reference", () => {
  const leaves = syntheticLeaves(130);
  const { lookup } = storedTree(leaves);

  it("roots at many sizes", () => {
    for (const n of SIZES) {
      expect(bytesToHex(rootFromNodes(n, lookup)), `size ${n}`).toBe(bytesToHex(ref.mth(leaves.slice(0, n))));
    }
  });

  it("every inclusion proof at many sizes verifies, and wrong ones do not", () => {
    for (const n of SIZES.filter((s) => s > 0)) {
      const tree = leaves.slice(0, n);
      const root = ref.mth(tree);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, lookup);
        expect(hex(proof), `leaf ${i} of ${n}`).toEqual(hex(ref.path(i, tree)));
        expect(verifyInclusion(tree[i]!, i, n, proof, root)).toBe(true);
        expect(verifyInclusion(leaves[n]!, i, n, proof, root)).toBe(false);
        if (n > 1) {
          expect(verifyInclusion(tree[i]!, (i + 1) % n, n, proof, root)).toBe(false);
          expect(verifyInclusion(tree[i]!, i, n, proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(tree[i]!, i, n, [...proof, root], root)).toBe(false);
        }
      }
    }
  });

  it("every consistency proof between many sizes verifies, and wrong ones do not", () => {
    for (const m of SIZES) {
      for (const n of SIZES.filter((s) => s >= m)) {
        const proof = consistencyProof(m, n, lookup);
        expect(hex(proof), `${m} -> ${n}`).toEqual(hex(ref.proof(m, leaves.slice(0, n))));
        const r1 = ref.mth(leaves.slice(0, m));
        const r2 = ref.mth(leaves.slice(0, n));
        expect(verifyConsistency(m, n, proof, r1, r2), `${m} -> ${n}`).toBe(true);
        if (m > 0 && m < n) {
          const other = ref.mth(leaves.slice(1, m + 1));
          expect(verifyConsistency(m, n, proof, other, r2)).toBe(false);
          expect(verifyConsistency(m, n, proof, r1, other)).toBe(false);
          expect(verifyConsistency(m, n, proof.slice(0, -1), r1, r2)).toBe(false);
        }
      }
    }
  });

  it("rejects impossible requests", () => {
    expect(() => inclusionProof(5, 5, lookup)).toThrow(RangeError);
    expect(() => inclusionProof(-1, 5, lookup)).toThrow(RangeError);
    expect(() => consistencyProof(6, 5, lookup)).toThrow(RangeError);
    expect(verifyInclusion(leaves[0]!, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(3, 2, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
  });
});

describe("property: random trees", () => {
  it("inclusion and consistency proofs from stored nodes match the reference and verify", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const leaves = syntheticLeaves(n);
        const { acc, lookup } = storedTree(leaves);
        const root = ref.mth(leaves);
        expect(bytesToHex(acc.root())).toBe(bytesToHex(root));
        const i = a % n;
        const proof = inclusionProof(i, n, lookup);
        expect(hex(proof)).toEqual(hex(ref.path(i, leaves)));
        expect(verifyInclusion(leaves[i]!, i, n, proof, root)).toBe(true);
        const m = b % (n + 1);
        const cproof = consistencyProof(m, n, lookup);
        expect(hex(cproof)).toEqual(hex(ref.proof(m, leaves)));
        expect(verifyConsistency(m, n, cproof, ref.mth(leaves.slice(0, m)), root)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("an accumulator restored from its right edge continues the same tree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50 }), (m, extra) => {
        const leaves = syntheticLeaves(m + extra);
        const { lookup } = storedTree(leaves.slice(0, m));
        const edge = edgeNodes(m).map((n) => lookup(n.level, n.index)!);
        const acc = new MerkleAccumulator(m, edge);
        for (const l of leaves.slice(m)) acc.append(l);
        expect(bytesToHex(acc.root())).toBe(bytesToHex(ref.mth(leaves)));
      }),
      { numRuns: 100 },
    );
  });
});
