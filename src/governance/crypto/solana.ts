/**
 * Solana signatures: ed25519 over the message bytes, the address being the
 * base58 encoding of the 32-byte public key, the signature base58 (64 bytes)
 * as Solana wallets' `signMessage` results are usually shown.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { base58 } from "@scure/base";

function decode58(s: string): Uint8Array | undefined {
  if (!/^[1-9A-HJ-NP-Za-km-z]{1,100}$/.test(s)) return undefined;
  try {
    return base58.decode(s);
  } catch {
    return undefined;
  }
}

/** The address as given when it is a base58 32-byte key, else undefined. */
export function normalizeSolanaAddress(address: string): string | undefined {
  const key = decode58(address);
  return key?.length === 32 && base58.encode(key) === address ? address : undefined;
}

/** A Solana signature check's inputs as bytes: what ed25519 verifies. */
export interface Ed25519Check {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

/** The bytes to verify, or undefined when the address or signature is not base58 of the right length. */
export function decodeSolana(message: string, signature: string, address: string): Ed25519Check | undefined {
  const publicKey = decode58(address);
  const sig = decode58(signature);
  if (publicKey?.length !== 32 || sig?.length !== 64) return undefined;
  return { signature: sig, message: utf8ToBytes(message), publicKey };
}

/** Strict RFC 8032 verification (no ZIP-215 leniency): one valid encoding per signature. */
export function verifyEd25519(c: Ed25519Check): boolean {
  try {
    return ed25519.verify(c.signature, c.message, c.publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function verifySolana(message: string, signature: string, address: string): boolean {
  const c = decodeSolana(message, signature, address);
  return c ? verifyEd25519(c) : false;
}

export const encodeBase58 = (b: Uint8Array) => base58.encode(b);
