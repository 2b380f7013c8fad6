/**
 * The FROST ciphersuites a vault may use, each bound to @noble/curves' RFC 9591
 * implementation and to the plain verifier its signatures must satisfy. Vigil
 * does no curve or FROST arithmetic of its own: points are parsed and checked by
 * the library, shares verified and aggregated by it.
 */

import type { FROST } from "@noble/curves/abstract/frost.js";
import { ed25519, ed25519_FROST } from "@noble/curves/ed25519.js";
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from "@noble/curves/secp256k1.js";
import type { CIPHERSUITES } from "../../events/catalog/custody.ts";
import { AppError } from "../http/errors.ts";
import { fromHex } from "./hex.ts";

export type Ciphersuite = (typeof CIPHERSUITES)[number];

export interface Suite {
  readonly id: Ciphersuite;
  /** The RFC 9591 context string (contextString), for people. */
  readonly contextString: string;
  readonly frost: FROST;
  /** The library's point constructor (parsing and the group operations of key-package checks). */
  readonly point: unknown;
  /** Bytes of a serialized point (commitments, keys, verifying shares). */
  readonly pointBytes: number;
  readonly scalarBytes: number;
  readonly signatureBytes: number;
  /** The verifier a wallet or chain would use: RFC 8032 Ed25519, BIP-340, or FROST's own for plain secp256k1. */
  verifySignature(signature: Uint8Array, message: Uint8Array, groupKey: Uint8Array): boolean;
  /** Parses and checks a point: on the curve, in the prime-order group, not the identity. Throws AppError. */
  checkPoint(bytes: Uint8Array, field: string): void;
}

interface PointLike {
  equals(o: PointLike): boolean;
  isTorsionFree?(): boolean;
  is0(): boolean;
}

function pointChecker(
  parse: (b: Uint8Array) => PointLike,
  pointBytes: number,
): (bytes: Uint8Array, field: string) => void {
  return (bytes, field) => {
    if (bytes.length !== pointBytes) {
      throw new AppError("invalid_length", `${field} must be ${pointBytes} bytes`, {
        errors: [{ path: field, message: `must be ${pointBytes} bytes (${pointBytes * 2} hex digits)` }],
      });
    }
    let p: PointLike;
    try {
      p = parse(bytes);
    } catch {
      throw invalidPoint(field, "is not a point on the curve");
    }
    if (p.is0()) throw invalidPoint(field, "is the identity element");
    if (p.isTorsionFree && !p.isTorsionFree())
      throw invalidPoint(field, "is not in the prime-order subgroup");
  };
}

const invalidPoint = (field: string, why: string) =>
  new AppError("invalid_point", `${field} ${why}`, { errors: [{ path: field, message: why }] });

const ed = ed25519.Point;
const secpCheck = pointChecker((b) => secp256k1.Point.fromBytes(b), 33);

export const SUITES: Record<Ciphersuite, Suite> = {
  ed25519: {
    id: "ed25519",
    contextString: "FROST-ED25519-SHA512-v1",
    frost: ed25519_FROST,
    point: ed25519.Point,
    pointBytes: 32,
    scalarBytes: 32,
    signatureBytes: 64,
    verifySignature: (sig, msg, key) => ed25519.verify(sig, msg, key, { zip215: false }),
    checkPoint: pointChecker((b) => ed.fromBytes(b), 32),
  },
  secp256k1: {
    id: "secp256k1",
    contextString: "FROST-secp256k1-SHA256-v1",
    frost: secp256k1_FROST,
    point: secp256k1.Point,
    pointBytes: 33,
    scalarBytes: 32,
    signatureBytes: 65,
    // No standard outside FROST verifies a 65-byte (R, z) Schnorr signature over secp256k1:
    // the suite's own RFC 9591 verify is the plain check here.
    verifySignature: (sig, msg, key) => secp256k1_FROST.verify(sig, msg, key),
    checkPoint: secpCheck,
  },
  taproot: {
    id: "taproot",
    contextString: "FROST-secp256k1-SHA256-TR-v1",
    frost: schnorr_FROST,
    point: secp256k1.Point,
    pointBytes: 33,
    scalarBytes: 32,
    signatureBytes: 64,
    // BIP-340 takes the x-only key: the compressed key without its parity byte.
    verifySignature: (sig, msg, key) => schnorr.verify(sig, msg, key.length === 33 ? key.slice(1) : key),
    checkPoint: secpCheck,
  },
};

export const suiteOf = (id: Ciphersuite): Suite => SUITES[id];

/** Checks a scalar's length and range (a signature share). Throws AppError. */
export function checkScalar(suite: Suite, bytes: Uint8Array, field: string): void {
  if (bytes.length !== suite.scalarBytes) {
    throw new AppError("invalid_length", `${field} must be ${suite.scalarBytes} bytes`, {
      errors: [
        { path: field, message: `must be ${suite.scalarBytes} bytes (${suite.scalarBytes * 2} hex digits)` },
      ],
    });
  }
  try {
    suite.frost.utils.Fn.fromBytes(bytes);
  } catch {
    throw new AppError("invalid_scalar", `${field} is not a scalar of the group`, {
      errors: [{ path: field, message: "is not below the group order" }],
    });
  }
}

/** A hex point field: decoded and checked. */
export function pointFrom(suite: Suite, hexText: string, field: string): Uint8Array {
  const b = fromHex(hexText);
  suite.checkPoint(b, field);
  return b;
}
