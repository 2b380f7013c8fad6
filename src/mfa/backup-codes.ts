/**
 * Backup codes: 10 single-use codes of 16 Crockford base32 characters (80
 * random bits), shown as XXXX-XXXX-XXXX-XXXX. Stored (in BackupCodesGenerated)
 * only as HMAC-SHA-256 keyed by a random per-user salt. With 80 bits per code
 * a fast salted hash is safe: nobody enumerates 2^80 candidates, so argon2's
 * cost (10 slow hashes per attempt) would buy nothing.
 */
import { base64UrlDecode, base64UrlEncode, bytesEqual, randomBytes, toHex, utf8 } from "../crypto/random.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const BACKUP_CODE_COUNT = 10;
const CODE_CHARS = 16;

function newCode(): string {
  // 32 symbols = 5 bits each: one random byte per character, masked, has no bias.
  const bytes = randomBytes(CODE_CHARS);
  let code = "";
  for (const b of bytes) code += ALPHABET[b & 31];
  return code.match(/.{4}/g)!.join("-");
}

/** What the user typed, in canonical form: case, spaces and dashes ignored; O→0, I/L→1 (Crockford). */
export function normaliseBackupCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

async function hmacHex(salt: string, code: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    base64UrlDecode(salt),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(normaliseBackupCode(code)))));
}

export interface BackupCodeSet {
  codes: string[];
  salt: string;
  hashes: string[];
}

export async function generateBackupCodes(): Promise<BackupCodeSet> {
  const salt = base64UrlEncode(randomBytes(16));
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, newCode);
  return { codes, salt, hashes: await Promise.all(codes.map((c) => hmacHex(salt, c))) };
}

/** The index of the unused code this input matches, or null. Compares every slot (no early exit). */
export async function findBackupCode(
  salt: string | null,
  hashes: readonly (string | null)[],
  input: string,
): Promise<number | null> {
  const normal = normaliseBackupCode(input);
  if (!salt || !/^[0-9A-Z]{16}$/.test(normal)) return null;
  const candidate = utf8(await hmacHex(salt, normal));
  let found: number | null = null;
  hashes.forEach((h, i) => {
    if (h !== null && bytesEqual(utf8(h), candidate) && found === null) found = i;
  });
  return found;
}
