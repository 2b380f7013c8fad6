/**
 * Crypto-shredding: personal data in the log is sealed with a data key of its
 * own subject (a person: `user-<uuid>`), and the keys live outside the log in
 * `subject_keys`, each wrapped with ENCRYPTION_KEY. Erasing a subject deletes
 * its key: the log is untouched (its hashes cover the ciphertext, so chains,
 * Merkle proofs and exports still verify), but nobody can read the data again.
 *
 * A sealed value is a string: `pii:<subject>:<v1.d.<iv>.<ciphertext>>`, the
 * AES-256-GCM output of src/crypto/aead.ts with the subject as additional
 * data, so a sealed value cannot be moved to another subject's record.
 *
 * Keys are cached only for sealing, and only once they are known committed:
 * a cached key of a subject erased meanwhile seals data nobody can open,
 * which is what erasure wants. Opening never uses a cache, so an erasure is
 * seen by every instance at its next read.
 */
import type { Sql } from "../db/client.ts";
import { createKeyring, DecryptionError, type Keyring } from "../src/crypto/aead.ts";
import type { StoredEvent } from "./types.ts";

export const ERASED = "[erased]";
const PREFIX = "pii:";
/** How every sealed value starts (exports look for it in raw JSON text before parsing). */
export const SEALED_PREFIX = PREFIX;
const SUBJECT = /^[a-z]+-[0-9a-f-]{36}$/;
const DATA_KEY_ID = "d";
const CACHE_MS = 5 * 60_000;

export interface PiiCipher {
  /** Seals `value` for `subject`, or returns ERASED when the subject was erased. */
  seal(sql: Sql, subject: string, value: string): Promise<string>;
  /** Opens every sealed value of the events (data fields and metadata): ERASED where the key is gone. */
  open(sql: Sql, events: readonly StoredEvent[]): Promise<StoredEvent[]>;
  /** Deletes the subject's key (a tombstone stays, so nothing new is sealed for it). */
  erase(sql: Sql, subject: string): Promise<void>;
}

export function isSealed(v: unknown): v is string {
  return typeof v === "string" && v.startsWith(PREFIX);
}

/** The subject a sealed value belongs to. */
export function subjectOfSealed(v: string): string | null {
  const end = v.indexOf(":", PREFIX.length);
  return end > 0 ? v.slice(PREFIX.length, end) : null;
}

/** A wrapped data key is bound to its subject: it cannot be copied to another row. */
const wrapAad = (subject: string) => `subject-key:${subject}`;

interface KeyRow {
  subject: string;
  wrapped: string | null;
}

export function createPiiCipher(master: Keyring): PiiCipher {
  const cache = new Map<string, { ring: Keyring | null; at: number }>();

  async function unwrap(row: KeyRow): Promise<Keyring | null> {
    if (row.wrapped === null) return null;
    const key = await master.decrypt(row.wrapped, wrapAad(row.subject));
    return createKeyring([{ id: DATA_KEY_ID, key }], DATA_KEY_ID);
  }

  /** The subject's key, creating it if it has none; null once erased. */
  async function keyFor(sql: Sql, subject: string): Promise<Keyring | null> {
    const hit = cache.get(subject);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.ring;
    const fresh = crypto.getRandomValues(new Uint8Array(32));
    const wrapped = await master.encrypt(fresh, wrapAad(subject));
    // A key inserted by this statement may still roll back with the caller's
    // transaction, so only a key found already there is cached.
    const inserted = await sql.query<KeyRow>(
      `INSERT INTO subject_keys (subject, wrapped) VALUES ($1, $2)
       ON CONFLICT (subject) DO NOTHING RETURNING subject, wrapped`,
      [subject, wrapped],
    );
    if (inserted[0]) return unwrap(inserted[0]);
    const [row] = await sql.query<KeyRow>("SELECT subject, wrapped FROM subject_keys WHERE subject = $1", [
      subject,
    ]);
    if (!row) throw new Error(`subject key for ${subject} vanished`);
    const ring = await unwrap(row);
    cache.set(subject, { ring, at: Date.now() });
    return ring;
  }

  async function openValue(rings: Map<string, Keyring | null>, v: unknown): Promise<unknown> {
    if (!isSealed(v)) return v;
    const subject = subjectOfSealed(v);
    const ring = subject ? rings.get(subject) : undefined;
    if (!subject || !ring) return ERASED;
    try {
      return await ring.decryptText(v.slice(PREFIX.length + subject.length + 1), subject);
    } catch (err) {
      if (err instanceof DecryptionError) return ERASED;
      throw err;
    }
  }

  async function openRecord<T>(rings: Map<string, Keyring | null>, rec: T): Promise<T> {
    if (!rec || typeof rec !== "object" || Array.isArray(rec)) return rec;
    const entries = Object.entries(rec as Record<string, unknown>);
    if (!entries.some(([, v]) => isSealed(v))) return rec;
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = await openValue(rings, v);
    return out as T;
  }

  return {
    async seal(sql, subject, value) {
      if (!SUBJECT.test(subject)) throw new Error(`not a data subject: ${subject}`);
      const ring = await keyFor(sql, subject);
      if (!ring) return ERASED;
      return `${PREFIX}${subject}:${await ring.encrypt(value, subject)}`;
    },

    async open(sql, events) {
      const subjects = new Set<string>();
      for (const e of events) {
        for (const rec of [e.data, e.metadata] as unknown[]) {
          if (!rec || typeof rec !== "object") continue;
          for (const v of Object.values(rec as Record<string, unknown>)) {
            const s = isSealed(v) ? subjectOfSealed(v) : null;
            if (s) subjects.add(s);
          }
        }
      }
      if (subjects.size === 0) return [...events];
      const rows = await sql.query<KeyRow>(
        "SELECT subject, wrapped FROM subject_keys WHERE subject = ANY(string_to_array($1::text, ','))",
        [[...subjects].join(",")],
      );
      const rings = new Map<string, Keyring | null>();
      for (const r of rows) rings.set(r.subject, await unwrap(r));
      return Promise.all(
        events.map(async (e) => ({
          ...e,
          data: await openRecord(rings, e.data),
          metadata: await openRecord(rings, e.metadata),
        })),
      );
    },

    async erase(sql, subject) {
      await sql.query(
        `INSERT INTO subject_keys (subject, wrapped, erased_at) VALUES ($1, NULL, now())
         ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, erased_at = COALESCE(subject_keys.erased_at, now())`,
        [subject],
      );
      cache.set(subject, { ring: null, at: Date.now() });
    },
  };
}

/** `keys rotate-encryption`: re-wraps every live data key under the current ENCRYPTION_KEY. */
export async function rewrapSubjectKeys(
  sql: Sql,
  master: Keyring,
): Promise<{ rows: number; rewrapped: number; alreadyCurrent: number; undecryptable: number }> {
  const rows = await sql.query<{ subject: string; wrapped: string }>(
    "SELECT subject, wrapped FROM subject_keys WHERE wrapped IS NOT NULL ORDER BY subject",
  );
  const report = { rows: rows.length, rewrapped: 0, alreadyCurrent: 0, undecryptable: 0 };
  for (const r of rows) {
    if (!master.needsReencrypt(r.wrapped)) {
      report.alreadyCurrent++;
      continue;
    }
    let key: Uint8Array;
    try {
      key = await master.decrypt(r.wrapped, wrapAad(r.subject));
    } catch {
      report.undecryptable++;
      continue;
    }
    // Only if unchanged meanwhile: an erasure that raced the rotation wins.
    await sql.query("UPDATE subject_keys SET wrapped = $2 WHERE subject = $1 AND wrapped = $3", [
      r.subject,
      await master.encrypt(key, wrapAad(r.subject)),
      r.wrapped,
    ]);
    report.rewrapped++;
  }
  return report;
}
