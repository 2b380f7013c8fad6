/**
 * Ethereum signatures as wallets make them: EIP-55 checksummed addresses,
 * EIP-191 `personal_sign` message hashes, and secp256k1 public-key recovery
 * (the address is keccak-256 of the uncompressed key, last 20 bytes).
 * Pure functions over @noble/curves and @noble/hashes.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToNumberBE } from "@noble/curves/utils.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { memoize } from "./memo.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const keccak = (data: Uint8Array): Uint8Array => keccak_256(data);

/** `0x` + lowercase hex. */
export const toHex = (b: Uint8Array): `0x${string}` => `0x${bytesToHex(b)}`;

/** Bytes from `0x`-prefixed (or bare) hex; undefined when it is not even-length hex. */
export function fromHex(s: string): Uint8Array | undefined {
  const body = s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) return undefined;
  return hexToBytes(body.toLowerCase());
}

/** EIP-55: each hex letter upper-cased where the keccak of the lowercase address has a nibble ≥ 8. */
export function toChecksumAddress(address: string): string {
  if (!ADDRESS.test(address)) throw new Error("not a 20-byte hex address");
  return checksummed(address.slice(2).toLowerCase());
}

// Memoized: a vote checksums its voter's address twice (the wallet given, the address recovered).
const checksummed = memoize((lower: string): string => {
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const ch = lower[i]!;
    out += Number.parseInt(hash[i]!, 16) >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
});

/**
 * The checksummed form of an address, or undefined. All-lowercase and
 * all-uppercase addresses carry no checksum and are accepted; mixed case must
 * match EIP-55 exactly (a typo in a mixed-case address is caught).
 */
export function normalizeAddress(address: string): string | undefined {
  if (!ADDRESS.test(address)) return undefined;
  const body = address.slice(2);
  const checksummed = toChecksumAddress(address);
  if (body === body.toLowerCase() || body === body.toUpperCase()) return checksummed;
  return checksummed === address ? checksummed : undefined;
}

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" + byte length + message). */
export function personalMessageHash(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === "string" ? utf8ToBytes(message) : message;
  const prefix = utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`);
  return keccak_256(concatBytes(prefix, bytes));
}

export function addressOfPublicKey(uncompressed: Uint8Array): string {
  return toChecksumAddress(toHex(keccak_256(uncompressed.subarray(1)).subarray(12)));
}

const HALF_N = secp256k1.Point.CURVE().n / 2n;

/** A signature checked for shape, split for recovery: the hash, `r ‖ s` (64 bytes) and the recovery bit. */
export interface Recoverable {
  hash: Uint8Array;
  compact: Uint8Array;
  recovery: 0 | 1;
}

/**
 * The parts of a 65-byte `r ‖ s ‖ v` signature over a 32-byte hash, or
 * undefined when it is malformed. `v` is 27/28 (or 0/1). High-s signatures
 * are refused (EIP-2): each vote has exactly one valid signature encoding, so
 * a replay cannot be dressed up as a different signature.
 */
export function recoverable(hash: Uint8Array, signature: string): Recoverable | undefined {
  const sig = fromHex(signature);
  if (sig?.length !== 65 || hash.length !== 32) return undefined;
  const v = sig[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  const compact = sig.subarray(0, 64);
  if (bytesToNumberBE(compact.subarray(32)) > HALF_N) return undefined;
  return { hash, compact, recovery };
}

/**
 * The uncompressed public key that made the signature, or undefined. The same
 * call runs in the signature workers (recover-worker.mjs), which is why it
 * takes only plain bytes.
 */
export function recoverPublicKey(r: Recoverable): Uint8Array | undefined {
  try {
    return secp256k1.Signature.fromBytes(r.compact, "compact")
      .addRecoveryBit(r.recovery)
      .recoverPublicKey(r.hash)
      .toBytes(false);
  } catch {
    return undefined;
  }
}

/**
 * The checksummed address that made a 65-byte `r ‖ s ‖ v` signature over a
 * 32-byte hash, or undefined when the signature is malformed, high-s, or
 * recovers nothing (see `recoverable`). On the calling thread; the vote path
 * uses the worker pool in signature-pool.ts for the same computation.
 */
export function recoverAddress(hash: Uint8Array, signature: string): string | undefined {
  const r = recoverable(hash, signature);
  const key = r && recoverPublicKey(r);
  return key && addressOfPublicKey(key);
}
