/**
 * Every ciphersuite end to end at the coordinator: a 2-of-3 DKG by the
 * library (as guardians run it), Vigil's key-package check, then a signing
 * round whose shares Vigil verifies and aggregates, and whose signature the
 * suite's plain verifier (RFC 8032, BIP-340, RFC 9591) accepts.
 */
import { describe, expect, it } from "vitest";
import { aggregate, checkPublicPackage, frostPublic, verifyShare } from "./coordinator.ts";
import { fromHex, toHex } from "./hex.ts";
import { SUITES } from "./suites.ts";

describe.each(Object.values(SUITES))("ciphersuite $id", (suite) => {
  it("accepts the library's DKG output and signs with it", () => {
    const F = suite.frost;
    const ids = [1, 2, 3].map((n) => F.Identifier.fromNumber(n));
    const signers = { min: 2, max: 3 };
    const r1 = ids.map((id) => F.DKG.round1(id, signers));
    const others = (i: number) => r1.filter((_, j) => j !== i).map((x) => x.public);
    const r2 = r1.map((p, i) => F.DKG.round2(p.secret, others(i)));
    const keys = r1.map((p, i) =>
      F.DKG.round3(
        p.secret,
        others(i),
        r2.filter((_, j) => j !== i).map((m) => m[ids[i]!]!),
      ),
    );
    const pkg = {
      commitments: keys[0]!.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(keys[0]!.public.verifyingShares).map(([k, v]) => [k, toHex(v)]),
      ),
    };
    expect(() => checkPublicPackage(suite, pkg, ids, 2)).not.toThrow();
    expect(pkg.commitments[0]!.length).toBe(suite.pointBytes * 2);

    const msg = new TextEncoder().encode("vigil");
    const [a, b] = [keys[0]!, keys[2]!];
    const na = F.commit(a.secret);
    const nb = F.commit(b.secret);
    const commitments = [na, nb].map((n) => ({
      identifier: n.commitments.identifier,
      hiding: toHex(n.commitments.hiding),
      binding: toHex(n.commitments.binding),
    }));
    const list = [na.commitments, nb.commitments];
    const sa = toHex(F.signShare(a.secret, a.public, na.nonces, list, msg));
    const sb = toHex(F.signShare(b.secret, b.public, nb.nonces, list, msg));
    const pub = frostPublic(pkg, 2, 3);
    expect(verifyShare(suite, pub, commitments, msg, ids[0]!, sa)).toBe(true);
    expect(verifyShare(suite, pub, commitments, msg, ids[2]!, sa)).toBe(false);
    const sig = aggregate(suite, pub, commitments, msg, { [ids[0]!]: sa, [ids[2]!]: sb });
    expect(fromHex(sig).length).toBe(suite.signatureBytes);
    expect(suite.verifySignature(fromHex(sig), msg, fromHex(pkg.commitments[0]!))).toBe(true);
  });
});
