/**
 * Randomness, digests and encodings that run the same on Node and Deno:
 * WebCrypto for randomness, btoa/atob, and node:crypto's SHA-256 (Deno has it
 * too). The digest is synchronous on purpose: a WebCrypto digest is a
 * thread-pool job and a promise, about 50 µs against 1.5 µs for the hash of a
 * short string, and it sat on every login and token check.
 */
import { createHash } from "node:crypto";

const encoder = new TextEncoder();

/** `bytes` random bytes as base64url without padding. Refuses fewer than 16 bytes. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new RangeError("randomToken: bytes must be an integer between 16 and 1024");
  }
  return base64UrlEncode(randomBytes(bytes));
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** SHA-256 of bytes, or of a string's UTF-8. */
export function sha256(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  const h = createHash("sha256");
  if (typeof data === "string") h.update(data, "utf8");
  else h.update(data);
  return new Uint8Array(h.digest());
}

/** Lowercase hex SHA-256 of a string's UTF-8. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal
 * where they first differ. Only the (usually public) length may show.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  return bytesEqual(utf8(a), utf8(b));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64url (no padding) decode; throws on any other character or an impossible length. */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new TypeError("invalid base64url");
  return base64Decode(text.replace(/-/g, "+").replace(/_/g, "/"));
}

/** Decodes standard base64 (padding optional); throws on anything else. */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64.test(text) || text.replace(/=+$/, "").length % 4 === 1) throw new TypeError("invalid base64");
  const padded = text.replace(/=+$/, "");
  const binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Accepts either standard base64 or base64url (what operators paste into env vars varies). */
export function decodeBase64Any(text: string): Uint8Array<ArrayBuffer> {
  return /[-_]/.test(text) ? base64UrlDecode(text.replace(/=+$/, "")) : base64Decode(text);
}
