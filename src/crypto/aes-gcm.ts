/**
 * AES-256-GCM with a 96-bit IV and a 128-bit tag, output `ciphertext ‖ tag`:
 * the primitive under aead.ts, in two interchangeable backends that produce
 * the same bytes (the tests seal with one and open with the other).
 *
 * - `node`: node:crypto's cipher, synchronous. Sealing personal data runs on
 *   the request path (an IP and a user agent per event); a WebCrypto call there
 *   costs a thread-pool job and a promise each, several times the cipher work.
 *   Deno's node:crypto has aes-256-gcm too.
 * - `webcrypto`: crypto.subtle, for a runtime whose node:crypto lacks the cipher.
 */
import * as nodeCrypto from "node:crypto";

export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export type GcmBackendName = "node" | "webcrypto";

export interface GcmKey {
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Rejects (with any error) when the tag does not verify. */
  open(iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>;
}

function nodeKey(raw: Uint8Array): GcmKey {
  const key = nodeCrypto.createSecretKey(raw);
  return {
    async seal(iv, aad, plaintext) {
      const c = nodeCrypto.createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      c.setAAD(aad);
      const head = c.update(plaintext);
      const tail = c.final();
      const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
      out.set(head, 0);
      out.set(tail, head.length);
      out.set(c.getAuthTag(), head.length + tail.length);
      return out;
    },
    async open(iv, aad, sealed) {
      if (sealed.length < TAG_BYTES) throw new Error("too short");
      const split = sealed.length - TAG_BYTES;
      const d = nodeCrypto.createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(split));
      const head = d.update(sealed.subarray(0, split));
      const tail = d.final(); // throws when the tag does not verify
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    },
  };
}

function webKey(raw: Uint8Array): GcmKey {
  // Imported lazily (key creation stays synchronous) and non-extractable.
  let imported: Promise<CryptoKey> | undefined;
  const key = () => {
    imported ??= crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "AES-GCM" }, false, [
      "encrypt",
      "decrypt",
    ]);
    return imported;
  };
  const params = (iv: Uint8Array, aad: Uint8Array): AesGcmParams => ({
    name: "AES-GCM",
    iv: new Uint8Array(iv),
    additionalData: new Uint8Array(aad),
    tagLength: TAG_BYTES * 8,
  });
  return {
    async seal(iv, aad, plaintext) {
      return new Uint8Array(
        await crypto.subtle.encrypt(params(iv, aad), await key(), new Uint8Array(plaintext)),
      );
    },
    async open(iv, aad, sealed) {
      return new Uint8Array(
        await crypto.subtle.decrypt(params(iv, aad), await key(), new Uint8Array(sealed)),
      );
    },
  };
}

/** Whether this runtime's node:crypto can do AES-256-GCM (checked once, on a throwaway key). */
function nodeGcmWorks(): boolean {
  try {
    const c = nodeCrypto.createCipheriv("aes-256-gcm", new Uint8Array(32), new Uint8Array(IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    c.final();
    return c.getAuthTag().length === TAG_BYTES;
  } catch {
    return false;
  }
}

let preferred: GcmBackendName | undefined;

/** The backend keys use unless told otherwise: node:crypto where it works. */
export function defaultGcmBackend(): GcmBackendName {
  preferred ??= nodeGcmWorks() ? "node" : "webcrypto";
  return preferred;
}

export function gcmKey(raw: Uint8Array, backend: GcmBackendName = defaultGcmBackend()): GcmKey {
  if (raw.length !== 32) throw new Error("AES-256-GCM needs a 32-byte key");
  return backend === "node" ? nodeKey(raw) : webKey(raw);
}
