/**
 * Destination addresses and amounts, validated for real per chain:
 *
 * - Bitcoin mainnet: base58check P2PKH (version 0x00) and P2SH (0x05); bech32
 *   segwit v0 (20- or 32-byte programs) and bech32m v1..v16 (BIP-173, BIP-350).
 * - Ethereum: `0x` + 40 hex digits; mixed case must carry a valid EIP-55 checksum.
 * - Solana: base58 of exactly 32 bytes.
 *
 * Each returns the address in canonical form (bech32 lowercased; others as
 * given, since their case carries meaning), which is what gets signed.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { base58, bech32, bech32m, createBase58check } from "@scure/base";
import type { CHAINS } from "../../events/catalog/custody.ts";
import { AppError } from "../http/errors.ts";

export type Chain = (typeof CHAINS)[number];

const b58check = createBase58check(sha256);

const bad = (field: string, why: string, code: "invalid_address" | "invalid_amount" = "invalid_address") =>
  new AppError(code, `${field} ${why}`, { errors: [{ path: field, message: why }] });

function bitcoin(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith("bc1")) {
    if (address !== lower && address !== address.toUpperCase())
      throw bad("destination", "mixes upper and lower case");
    let decoded: { prefix: string; words: number[] } | undefined;
    let variant: "bech32" | "bech32m" | undefined;
    for (const [name, codec] of [
      ["bech32", bech32],
      ["bech32m", bech32m],
    ] as const) {
      const d = codec.decodeUnsafe(lower, 90);
      if (d) {
        decoded = d;
        variant = name;
        break;
      }
    }
    if (decoded?.prefix !== "bc" || decoded.words.length < 1) {
      throw bad("destination", "is not a valid bech32/bech32m Bitcoin address");
    }
    const version = decoded.words[0]!;
    const program = bech32.fromWordsUnsafe(decoded.words.slice(1));
    if (!program || version > 16) throw bad("destination", "has an invalid witness program");
    // BIP-350: version 0 uses bech32, versions 1 to 16 bech32m.
    if ((version === 0) !== (variant === "bech32"))
      throw bad("destination", "uses the wrong checksum for its witness version");
    if (program.length < 2 || program.length > 40)
      throw bad("destination", "has a witness program of invalid length");
    if (version === 0 && program.length !== 20 && program.length !== 32) {
      throw bad("destination", "has a v0 witness program that is neither 20 nor 32 bytes");
    }
    return lower;
  }
  let payload: Uint8Array;
  try {
    payload = b58check.decode(address);
  } catch {
    throw bad("destination", "is not a valid base58check Bitcoin address");
  }
  if (payload.length !== 21 || (payload[0] !== 0x00 && payload[0] !== 0x05)) {
    throw bad("destination", "is not a mainnet P2PKH or P2SH address");
  }
  return address;
}

const enc = new TextEncoder();
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** EIP-55: the address with each letter uppercased where keccak256(lowercase hex) has a nibble >= 8. */
export function eip55(address: string): string {
  const body = address.slice(2).toLowerCase();
  const hash = hexOf(keccak_256(enc.encode(body)));
  let out = "0x";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    out += Number.parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

function ethereum(address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw bad("destination", "is not 0x followed by 40 hex digits");
  const body = address.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && eip55(address) !== address) throw bad("destination", "fails its EIP-55 checksum");
  return address;
}

function solana(address: string): string {
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(address);
  } catch {
    throw bad("destination", "is not base58");
  }
  if (bytes.length !== 32) throw bad("destination", "is not a 32-byte Solana public key");
  return address;
}

export function canonicalAddress(chain: Chain, address: string): string {
  switch (chain) {
    case "bitcoin":
      return bitcoin(address);
    case "ethereum":
      return ethereum(address);
    case "solana":
      return solana(address);
  }
}

/** Decimals of each chain's native unit, and the largest amount accepted (in whole units). */
export const CHAIN_UNITS: Record<Chain, { decimals: number; max: bigint }> = {
  bitcoin: { decimals: 8, max: 21_000_000n },
  ethereum: { decimals: 18, max: 1_000_000_000n },
  solana: { decimals: 9, max: 1_000_000_000n },
};

/**
 * A decimal string in whole units (`"0.015"`), at most the chain's decimals,
 * positive and at most `max`. Canonical form: no leading zeros, no trailing
 * fractional zeros, no trailing dot (`"00.50"` → `"0.5"`).
 */
export function canonicalAmount(chain: Chain, amount: string): string {
  const { decimals, max } = CHAIN_UNITS[chain];
  const m = /^(\d{1,20})(?:\.(\d{1,30}))?$/.exec(amount);
  if (!m) throw bad("amount", "must be a decimal string like 0.015", "invalid_amount");
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac.length > decimals) throw bad("amount", `has more than ${decimals} decimals`, "invalid_amount");
  const whole = BigInt(m[1]!);
  const units = whole * 10n ** BigInt(decimals) + BigInt((frac || "0").padEnd(decimals, "0"));
  if (units <= 0n) throw bad("amount", "must be positive", "invalid_amount");
  if (units > max * 10n ** BigInt(decimals)) throw bad("amount", `must be at most ${max}`, "invalid_amount");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
