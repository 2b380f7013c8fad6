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

/** Strict RFC 8032 verification (no ZIP-215 leniency): one valid encoding per signature. */
export function verifySolana(message: string, signature: string, address: string): boolean {
  const key = decode58(address);
  const sig = decode58(signature);
  if (key?.length !== 32 || sig?.length !== 64) return false;
  try {
    return ed25519.verify(sig, utf8ToBytes(message), key, { zip215: false });
  } catch {
    return false;
  }
}

export const encodeBase58 = (b: Uint8Array) => base58.encode(b);
