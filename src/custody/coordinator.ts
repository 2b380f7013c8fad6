/**
 * The FROST coordinator's work (RFC 9591 section 5), on hex inputs, through
 * @noble/curves: build the signing package's commitment list, verify one
 * signature share (section 5.4), aggregate (section 5.3) and check the result
 * with the suite's plain verifier. Pure: the RFC's Appendix E vectors run
 * through exactly these functions (coordinator.test.ts).
 */
import type { FrostPublic, NonceCommitments } from "@noble/curves/abstract/frost.js";
import { AppError } from "../http/errors.ts";
import { fromHex, toHex } from "./hex.ts";
import type { Suite } from "./suites.ts";
import type { PublicPackage } from "./vault.ts";

export interface CommitmentHex {
  identifier: string;
  hiding: string;
  binding: string;
}

export function frostPublic(pkg: PublicPackage, threshold: number, size: number): FrostPublic {
  return {
    signers: { min: threshold, max: size },
    commitments: pkg.commitments.map(fromHex),
    verifyingShares: Object.fromEntries(
      Object.entries(pkg.verifyingShares).map(([id, v]) => [id, fromHex(v)]),
    ),
  };
}

/** Sorted by identifier (the RFC's order for the binding-factor input). */
export function commitmentList(commitments: readonly CommitmentHex[]): NonceCommitments[] {
  return [...commitments]
    .sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0))
    .map((c) => ({ identifier: c.identifier, hiding: fromHex(c.hiding), binding: fromHex(c.binding) }));
}

export function verifyShare(
  suite: Suite,
  pub: FrostPublic,
  commitments: readonly CommitmentHex[],
  message: Uint8Array,
  identifier: string,
  share: string,
): boolean {
  try {
    return suite.frost.verifyShare(pub, commitmentList(commitments), message, identifier, fromHex(share));
  } catch {
    return false;
  }
}

/** Aggregates verified shares and checks the signature with the plain verifier; hex signature out. */
export function aggregate(
  suite: Suite,
  pub: FrostPublic,
  commitments: readonly CommitmentHex[],
  message: Uint8Array,
  shares: Record<string, string>,
): string {
  const sig = suite.frost.aggregate(
    pub,
    commitmentList(commitments),
    message,
    Object.fromEntries(Object.entries(shares).map(([id, s]) => [id, fromHex(s)])),
  );
  if (!suite.verifySignature(sig, message, pub.commitments[0]!)) {
    throw new Error("aggregated signature does not verify although every share did");
  }
  return toHex(sig);
}

/**
 * Validates a public key package against the vault: every point valid, exactly
 * `threshold` VSS commitments, one verifying share per guardian identifier and
 * no other, and each verifying share equal to the VSS commitment polynomial
 * evaluated at its identifier (so all of them agree with the group key,
 * commitments[0]). Evaluation uses the library's point and field operations.
 */
export function checkPublicPackage(
  suite: Suite,
  pkg: PublicPackage,
  identifiers: readonly string[],
  threshold: number,
  field = "body",
): void {
  if (pkg.commitments.length !== threshold) {
    throw keyInvalid(`${field}.commitments`, `must hold exactly ${threshold} points (the threshold)`);
  }
  pkg.commitments.forEach((c, i) => {
    suite.checkPoint(fromHex(c), `${field}.commitments.${i}`);
  });
  const ids = Object.keys(pkg.verifyingShares).sort();
  const want = [...identifiers].sort();
  if (ids.length !== want.length || ids.some((id, i) => id !== want[i])) {
    throw keyInvalid(`${field}.verifyingShares`, "must hold one verifying share per guardian identifier");
  }
  const { Point, Fn } = pointOps(suite);
  const C = pkg.commitments.map((c) => Point.fromBytes(fromHex(c)));
  for (const id of ids) {
    const share = fromHex(pkg.verifyingShares[id]!);
    suite.checkPoint(share, `${field}.verifyingShares.${id}`);
    const x = Fn.fromBytes(fromHex(id));
    let expected = C[0]!;
    for (let j = 1; j < C.length; j++) expected = expected.add(C[j]!.multiply(Fn.pow(x, BigInt(j))));
    if (!expected.equals(Point.fromBytes(share))) {
      throw keyInvalid(
        `${field}.verifyingShares.${id}`,
        "is not consistent with the commitments and group key",
      );
    }
  }
}

interface P {
  add(o: P): P;
  multiply(n: bigint): P;
  equals(o: P): boolean;
}

function pointOps(suite: Suite): { Point: { fromBytes(b: Uint8Array): P }; Fn: typeof suite.frost.utils.Fn } {
  return { Point: suite.point as { fromBytes(b: Uint8Array): P }, Fn: suite.frost.utils.Fn };
}

const keyInvalid = (path: string, message: string) =>
  new AppError("key_invalid", `${path} ${message}`, { errors: [{ path, message }] });
