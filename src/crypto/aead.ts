/**
 * AES-256-GCM encryption with key ids, for secrets at rest (TOTP secrets, JWT
 * private keys). Every ciphertext names the key that sealed it, so keys rotate
 * by adding a new current key while older ones stay in the ring to decrypt.
 *
 * Format: `v1.<keyId>.<base64url(iv)>.<base64url(ciphertext || tag)>`.
 * The header `v1.<keyId>` is bound into the GCM additional data together with
 * the caller's AAD, so neither can be swapped without the tag failing. The
 * cipher itself is aes-gcm.ts (node:crypto where it works, else WebCrypto;
 * the same bytes either way).
 */
import { type GcmBackendName, type GcmKey, gcmKey, IV_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import { base64UrlDecode, base64UrlEncode, decodeBase64Any, randomBytes, utf8 } from "./random.ts";

export interface Keyring {
  encrypt(plaintext: Uint8Array | string, aad?: string): Promise<string>;
  decrypt(ciphertext: string, aad?: string): Promise<Uint8Array>;
  decryptText(ciphertext: string, aad?: string): Promise<string>;
  readonly currentKeyId: string;
  /** The key id named by a ciphertext; throws DecryptionError when it is not one of ours in shape. */
  keyIdOf(ciphertext: string): string;
  /** True when the ciphertext was sealed with a key other than the current one (re-encrypt it). */
  needsReencrypt(ciphertext: string): boolean;
  readonly keyIds: readonly string[];
}

export type DecryptionFailure = "malformed" | "unknown_key" | "authentication_failed";

/** Wrong key, tampered ciphertext, wrong AAD or garbage. Never carries key material or plaintext. */
export class DecryptionError extends Error {
  readonly code = "decryption_failed";
  constructor(readonly reason: DecryptionFailure) {
    super(`decryption failed: ${reason}`);
    this.name = "DecryptionError";
  }
}

const VERSION = "v1";
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

interface Parsed {
  keyId: string;
  iv: Uint8Array<ArrayBuffer>;
  body: Uint8Array<ArrayBuffer>;
}

function parse(ciphertext: string): Parsed {
  if (typeof ciphertext !== "string") throw new DecryptionError("malformed");
  const parts = ciphertext.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError("malformed");
  const [, keyId, ivText, bodyText] = parts as [string, string, string, string];
  if (!KEY_ID.test(keyId)) throw new DecryptionError("malformed");
  try {
    const iv = base64UrlDecode(ivText);
    const body = base64UrlDecode(bodyText);
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError("malformed");
    return { keyId, iv, body };
  } catch {
    throw new DecryptionError("malformed");
  }
}

function additionalData(keyId: string, aad: string | undefined): Uint8Array<ArrayBuffer> {
  // NUL cannot occur in a key id, so header and caller AAD cannot be confused.
  return utf8(`${VERSION}.${keyId}\u0000${aad ?? ""}`);
}

export interface KeyringOptions {
  /** Which AES-GCM implementation to use (aes-gcm.ts); both read and write the same format. */
  backend?: GcmBackendName;
}

export function createKeyring(
  keys: { id: string; key: Uint8Array }[],
  currentId: string,
  opts: KeyringOptions = {},
): Keyring {
  if (keys.length === 0) throw new Error("keyring: at least one key is required");
  const ring = new Map<string, GcmKey>();
  for (const { id, key } of keys) {
    if (!KEY_ID.test(id)) throw new Error(`keyring: invalid key id "${id}" (letters, digits, _ and - only)`);
    if (ring.has(id)) throw new Error(`keyring: duplicate key id "${id}"`);
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new Error(`keyring: key "${id}" must be exactly 32 bytes`);
    }
    ring.set(id, gcmKey(new Uint8Array(key), opts.backend));
  }
  const current = ring.get(currentId);
  if (!current) throw new Error(`keyring: current key id "${currentId}" is not in the ring`);

  const decrypt = async (ciphertext: string, aad?: string): Promise<Uint8Array> => {
    const { keyId, iv, body } = parse(ciphertext);
    const key = ring.get(keyId);
    if (!key) throw new DecryptionError("unknown_key");
    try {
      return await key.open(iv, additionalData(keyId, aad), body);
    } catch {
      throw new DecryptionError("authentication_failed");
    }
  };

  return {
    currentKeyId: currentId,
    keyIds: [...ring.keys()],
    async encrypt(plaintext, aad) {
      const data = typeof plaintext === "string" ? utf8(plaintext) : new Uint8Array(plaintext);
      const iv = randomBytes(IV_BYTES);
      const sealed = await current.seal(iv, additionalData(currentId, aad), data);
      return `${VERSION}.${currentId}.${base64UrlEncode(iv)}.${base64UrlEncode(sealed)}`;
    },
    decrypt,
    async decryptText(ciphertext, aad) {
      const bytes = await decrypt(ciphertext, aad);
      try {
        return decoder.decode(bytes);
      } catch {
        throw new DecryptionError("malformed");
      }
    },
    keyIdOf: (ciphertext) => parse(ciphertext).keyId,
    needsReencrypt: (ciphertext) => parse(ciphertext).keyId !== currentId,
  };
}

/**
 * Parses `ENCRYPTION_KEY`: either one base64 32-byte key (id `k1`) or a comma
 * list `id:base64,id:base64` whose FIRST entry is the current key. Error
 * messages never echo key material.
 */
export function keyringFromEnv(value: string): Keyring {
  const text = (value ?? "").trim();
  if (!text) throw new Error("ENCRYPTION_KEY is empty");
  const entries = text.includes(":") ? text.split(",").map((s) => s.trim()) : [`k1:${text}`];
  const keys = entries.map((entry, index) => {
    const sep = entry.indexOf(":");
    if (sep <= 0) throw new Error(`ENCRYPTION_KEY entry ${index + 1}: expected id:base64key`);
    const id = entry.slice(0, sep).trim();
    let key: Uint8Array;
    try {
      key = decodeBase64Any(entry.slice(sep + 1).trim());
    } catch {
      throw new Error(`ENCRYPTION_KEY entry ${index + 1} ("${id}"): key is not valid base64`);
    }
    if (key.length !== 32) {
      throw new Error(`ENCRYPTION_KEY entry ${index + 1} ("${id}"): key must decode to 32 bytes`);
    }
    return { id, key };
  });
  return createKeyring(keys, keys[0]!.id);
}
