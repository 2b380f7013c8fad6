/**
 * RFC 9591 Appendix E through Vigil's coordinator code: the vectors' public
 * key package passes the import check, every signature share verifies
 * (section 5.4), a tampered one does not, and aggregation yields exactly the
 * RFC's signature, which the plain verifier accepts. The vectors come from the
 * standard's repository (rfc9591.vectors.ts), not from the library's tests.
 */
import { describe, expect, it } from "vitest";
import {
  aggregate,
  type CommitmentHex,
  checkPublicPackage,
  frostPublic,
  verifyShare,
} from "./coordinator.ts";
import { fromHex, toHex } from "./hex.ts";
import { RFC9591_VECTORS, type Rfc9591Vector } from "./rfc9591.vectors.ts";
import { SUITES } from "./suites.ts";
import type { PublicPackage } from "./vault.ts";

interface Pt {
  multiply(n: bigint): Pt;
  toBytes(): Uint8Array;
}

/** The public package a dealer would publish for the vector: G·a1 and G·share_i, by the library's group. */
function publicPackage(v: Rfc9591Vector): { pkg: PublicPackage; ids: Record<number, string> } {
  const suite = SUITES[v.suite];
  const G = (suite.point as { BASE: Pt }).BASE;
  const Fn = suite.frost.utils.Fn;
  const times = (scalarHex: string) => toHex(G.multiply(Fn.fromBytes(fromHex(scalarHex))).toBytes());
  const ids = Object.fromEntries(
    v.participantShares.map((p) => [p.identifier, suite.frost.Identifier.fromNumber(p.identifier)]),
  );
  return {
    ids,
    pkg: {
      commitments: [v.groupPublicKey, times(v.coefficient)],
      verifyingShares: Object.fromEntries(
        v.participantShares.map((p) => [ids[p.identifier]!, times(p.share)]),
      ),
    },
  };
}

describe.each(RFC9591_VECTORS)("RFC 9591 Appendix E, $name", (v) => {
  const suite = SUITES[v.suite];
  const { pkg, ids } = publicPackage(v);
  const pub = frostPublic(pkg, 2, 3);
  const message = fromHex(v.message);
  const commitments: CommitmentHex[] = v.signers.map((s) => ({
    identifier: ids[s.identifier]!,
    hiding: s.hiding,
    binding: s.binding,
  }));

  it("accepts the vector's public key package as an import", () => {
    expect(() => checkPublicPackage(suite, pkg, Object.values(ids), 2)).not.toThrow();
    expect(pkg.commitments[0]).toBe(v.groupPublicKey);
  });

  it("verifies every signer's share on arrival", () => {
    for (const s of v.signers) {
      expect(verifyShare(suite, pub, commitments, message, ids[s.identifier]!, s.sigShare)).toBe(true);
    }
  });

  it("refuses a share from the wrong signer, a tampered share, or one for another message", () => {
    const [a, b] = v.signers;
    expect(verifyShare(suite, pub, commitments, message, ids[b!.identifier]!, a!.sigShare)).toBe(false);
    const flipped = `${a!.sigShare.slice(0, -2)}${((Number.parseInt(a!.sigShare.slice(-2), 16) ^ 1) & 0xff).toString(16).padStart(2, "0")}`;
    expect(verifyShare(suite, pub, commitments, message, ids[a!.identifier]!, flipped)).toBe(false);
    expect(verifyShare(suite, pub, commitments, fromHex("74657375"), ids[a!.identifier]!, a!.sigShare)).toBe(
      false,
    );
  });

  it("aggregates to the RFC's signature, which the plain verifier accepts", () => {
    const shares = Object.fromEntries(v.signers.map((s) => [ids[s.identifier]!, s.sigShare]));
    const sig = aggregate(suite, pub, commitments, message, shares);
    expect(sig).toBe(v.signature);
    expect(suite.verifySignature(fromHex(sig), message, fromHex(v.groupPublicKey))).toBe(true);
  });

  it("refuses a package whose verifying share does not match the commitments", () => {
    const [first, second] = Object.keys(pkg.verifyingShares);
    const swapped = {
      ...pkg,
      verifyingShares: {
        ...pkg.verifyingShares,
        [first!]: pkg.verifyingShares[second!]!,
        [second!]: pkg.verifyingShares[first!]!,
      },
    };
    expect(() => checkPublicPackage(suite, swapped, Object.values(ids), 2)).toThrow(/not consistent/);
  });
});
