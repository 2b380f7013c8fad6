/**
 * The API key format: `mk_` + base62(32 random bytes, 43 chars) + base62 of the
 * first 4 bytes of SHA-256 over the body (6 chars). 52 characters in all.
 *
 * The checksum lets a mistyped or truncated key be refused without a database
 * lookup, and lets secret scanners tell a real Vigil key from random text.
 * At rest only SHA-256(whole key) and the first 11 characters are kept.
 */
import { randomBytes, sha256, sha256Hex } from "../crypto/random.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const KEY_PREFIX = "mk_";
const BODY_CHARS = 43;
const CHECKSUM_CHARS = 6;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_CHARS + CHECKSUM_CHARS;
export const DISPLAY_PREFIX_LENGTH = 11;
const SHAPE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_CHARS + CHECKSUM_CHARS}}$`);

/** Big-endian base62 of the bytes, left-padded with "0" to `width`. */
export function base62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)]! + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError("base62: value does not fit the width");
  return out.padStart(width, "0");
}

function checksum(body: string): string {
  return base62(sha256(body).subarray(0, 4), CHECKSUM_CHARS);
}

export interface NewKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): NewKey {
  const body = base62(randomBytes(32), BODY_CHARS);
  const key = `${KEY_PREFIX}${body}${checksum(body)}`;
  return { key, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), hash: sha256Hex(key) };
}

/** True when the text could be an API key at all (the prefix): then it is judged as one. */
export const looksLikeApiKey = (text: string) => text.startsWith(KEY_PREFIX);

/** Shape and checksum, no lookup: false for anything mistyped, truncated or made up. */
export function isWellFormed(key: string): boolean {
  if (!SHAPE.test(key)) return false;
  const body = key.slice(KEY_PREFIX.length, KEY_PREFIX.length + BODY_CHARS);
  return checksum(body) === key.slice(KEY_PREFIX.length + BODY_CHARS);
}
