/**
 * The hashed form of an event: RFC 8785 canonical JSON of its envelope.
 * The store builds it on append; `verify` rebuilds it from stored rows, so both
 * must go through `canonicalEnvelope` and nothing else.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical.ts";
import type { EventMetadata } from "./types.ts";

export interface Envelope {
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  /** ISO 8601 with milliseconds, UTC: exactly what timestamptz(3) gives back. */
  recorded_at: string;
}

export function canonicalEnvelope(e: Envelope): string {
  const text = canonicalJson(e);
  if (text === undefined) throw new TypeError("event envelope is not serialisable");
  return text;
}

export const GENESIS_HASH = new Uint8Array(32);

/**
 * hash = SHA-256(prev_hash || UTF-8 canonical envelope): the chain link of one event.
 * Synchronous (node:crypto, in Deno too): `verify` and the offline verifier call it
 * once per event, and a WebCrypto digest per event cost a thread-pool job and a
 * promise, far more than the hash of an envelope.
 */
export function linkHash(prev: Uint8Array, canonical: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(prev).update(canonical, "utf8").digest());
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
