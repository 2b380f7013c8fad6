/**
 * Ed25519 signing keys for access tokens: generated on first start, stored
 * encrypted (Keyring, AAD bound to the kid) through an injected backend,
 * rotated with a grace period, published as a JWKS.
 *
 * A retired key keeps verifying for `accessTtlSeconds` after its retirement, so
 * every token it signed can run to its natural expiry; after that it leaves the
 * JWKS and tokens naming it are refused.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { withoutDeadline } from "../../db/deadline.ts";
import type { Keyring } from "./aead.ts";

export type { JWK } from "jose";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt?: Date;
}

export interface StoredKey {
  kid: string;
  /** The private JWK as JSON, sealed with the Keyring (AAD `jwt-signing-key:<kid>`). */
  privateJwkEncrypted: string;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface KeyStoreBackend {
  load(): Promise<StoredKey[]>;
  save(key: StoredKey): Promise<void>;
  markRetired(kid: string, at: Date): Promise<void>;
}

export interface JwtKeysOptions {
  backend: KeyStoreBackend;
  keyring: Keyring;
  clock: () => Date;
  accessTtlSeconds: number;
  /** How often signing re-reads the backend to see other instances' rotations (default 60; 0 = never). */
  refreshIntervalSeconds?: number;
  /**
   * An active key the keyring cannot decrypt (ENCRYPTION_KEY replaced) is
   * fatal by default; with this set it is retired and a fresh key generated.
   */
  retireUndecryptable?: boolean;
  /** Receives background refresh failures (signing keeps the last good keys). */
  onError?: (error: unknown) => void;
}

interface Entry {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey | undefined;
  createdAt: Date;
  retiredAt: Date | undefined;
}

const ALG = "EdDSA";
const aadFor = (kid: string) => `jwt-signing-key:${kid}`;

function publicOnly(jwk: JWK, kid: string): JWK {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new Error(`JWT key ${kid}: expected an Ed25519 OKP JWK`);
  }
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: ALG, use: "sig" };
}

async function importPublic(jwk: JWK): Promise<CryptoKey> {
  return (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, ALG)) as CryptoKey;
}

/** Imports a private JWK non-extractable and proves it belongs to the public half. */
async function importPrivate(jwk: JWK, publicKey: CryptoKey, kid: string): Promise<CryptoKey> {
  if (typeof jwk.d !== "string") throw new Error(`JWT key ${kid}: private JWK has no "d"`);
  const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, ALG, {
    extractable: false,
  })) as CryptoKey;
  const probe = new TextEncoder().encode(`vigil key check ${kid}`);
  const signature = await crypto.subtle.sign("Ed25519", key, probe);
  if (!(await crypto.subtle.verify("Ed25519", publicKey, signature, probe))) {
    throw new Error(`JWT key ${kid}: private key does not match its public key`);
  }
  return key;
}

export class JwtKeys {
  readonly accessTtlSeconds: number;
  readonly #clock: () => Date;
  readonly #opts: JwtKeysOptions | undefined;
  #entries = new Map<string, Entry>();
  #currentKid = "";
  #lastRefresh = 0;
  #refreshing: Promise<void> | undefined;

  private constructor(clock: () => Date, accessTtlSeconds: number, opts?: JwtKeysOptions) {
    if (!Number.isInteger(accessTtlSeconds) || accessTtlSeconds <= 0) {
      throw new RangeError("accessTtlSeconds must be a positive integer");
    }
    this.#clock = clock;
    this.accessTtlSeconds = accessTtlSeconds;
    this.#opts = opts;
  }

  /** Loads keys from the backend, generating and saving the first one when there is none. */
  static async open(opts: JwtKeysOptions): Promise<JwtKeys> {
    const keys = new JwtKeys(opts.clock, opts.accessTtlSeconds, opts);
    await keys.#load();
    if (!keys.#currentKid) await keys.#addGenerated();
    return keys;
  }

  /**
   * Keys from configuration (e.g. `JWT_PRIVATE_JWKS`): a JWKS, an array of JWKs
   * or one JWK. The FIRST key signs; later keys only verify and may be public-only.
   * Such keys never expire here and cannot be rotated at runtime: rotate by config.
   */
  static async fromPrivateJwks(
    json: string,
    opts: { clock: () => Date; accessTtlSeconds: number },
  ): Promise<JwtKeys> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error("JWT keys: configuration is not valid JSON");
    }
    const list = (
      Array.isArray(parsed)
        ? parsed
        : (parsed as { keys?: unknown })?.keys
          ? (parsed as { keys: unknown }).keys
          : [parsed]
    ) as JWK[];
    if (!Array.isArray(list) || list.length === 0) throw new Error("JWT keys: no keys in configuration");
    const keys = new JwtKeys(opts.clock, opts.accessTtlSeconds);
    const createdAt = opts.clock();
    for (const [index, jwk] of list.entries()) {
      if (typeof jwk !== "object" || jwk === null)
        throw new Error(`JWT keys: entry ${index + 1} is not a JWK`);
      const kid =
        typeof jwk.kid === "string" && jwk.kid ? jwk.kid : await calculateJwkThumbprint(publicOnly(jwk, "?"));
      if (keys.#entries.has(kid)) throw new Error(`JWT keys: duplicate kid ${kid}`);
      const publicJwk = publicOnly(jwk, kid);
      const publicKey = await importPublic(publicJwk);
      const privateKey = jwk.d === undefined ? undefined : await importPrivate(jwk, publicKey, kid);
      if (index === 0 && !privateKey)
        throw new Error("JWT keys: the first (signing) key must be a private JWK");
      keys.#entries.set(kid, { kid, publicJwk, publicKey, privateKey, createdAt, retiredAt: undefined });
      if (index === 0) keys.#currentKid = kid;
    }
    return keys;
  }

  current(): SigningKey {
    const e = this.#entries.get(this.#currentKid)!;
    return {
      kid: e.kid,
      privateKey: e.privateKey!,
      publicJwk: e.publicJwk,
      createdAt: e.createdAt,
      retiredAt: e.retiredAt,
    };
  }

  /** Makes a new current key; the previous one is retired and verifies for another access TTL. */
  async rotate(): Promise<SigningKey> {
    const opts = this.#opts;
    if (!opts) throw new Error("JWT keys from configuration are rotated by changing the configuration");
    const previous = this.#currentKid;
    await this.#addGenerated();
    const at = this.#clock();
    await opts.backend.markRetired(previous, at);
    const old = this.#entries.get(previous);
    if (old) old.retiredAt = at;
    return this.current();
  }

  /** Public keys able to verify now (current, and retired less than an access TTL ago). */
  jwks(): { keys: JWK[] } {
    const usable = [...this.#entries.values()].filter((e) => this.#canVerify(e));
    usable.sort((a, b) => Number(b.kid === this.#currentKid) - Number(a.kid === this.#currentKid));
    return { keys: usable.map((e) => ({ ...e.publicJwk })) };
  }

  /** The public key for a kid if it may verify now; on a miss, re-reads the backend at most once per interval. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    let entry = this.#entries.get(kid);
    if (!entry) {
      await this.refreshIfStale();
      entry = this.#entries.get(kid);
    }
    return entry && this.#canVerify(entry) ? entry.publicKey : undefined;
  }

  /** Re-reads the backend if the refresh interval has passed (single flight; failures go to onError). */
  async refreshIfStale(): Promise<void> {
    const opts = this.#opts;
    const interval = (opts?.refreshIntervalSeconds ?? 60) * 1000;
    if (!opts || interval <= 0 || this.#clock().getTime() - this.#lastRefresh < interval) return;
    // Shared by every request that finds the keys stale: no one request's deadline may cancel it.
    this.#refreshing ??= withoutDeadline(() => this.#load())
      .catch((error: unknown) => opts.onError?.(error))
      .finally(() => {
        this.#refreshing = undefined;
      });
    await this.#refreshing;
  }

  #canVerify(e: Entry): boolean {
    if (!e.retiredAt) return true;
    return this.#clock().getTime() < e.retiredAt.getTime() + this.accessTtlSeconds * 1000;
  }

  async #load(): Promise<void> {
    const opts = this.#opts!;
    this.#lastRefresh = this.#clock().getTime();
    const stored = await opts.backend.load();
    const entries = new Map<string, Entry>();
    for (const s of stored) {
      const retiredAt = s.retiredAt ?? undefined;
      const publicJwk = publicOnly(s.publicJwk, s.kid);
      const entry: Entry = {
        kid: s.kid,
        publicJwk,
        publicKey: await importPublic(publicJwk),
        privateKey: undefined,
        createdAt: s.createdAt,
        retiredAt,
      };
      if (!this.#canVerify(entry)) continue;
      if (!retiredAt) {
        const known = this.#entries.get(s.kid)?.privateKey;
        entry.privateKey = known ?? (await this.#decryptPrivate(s, entry.publicKey));
        if (!entry.privateKey) continue;
      }
      entries.set(s.kid, entry);
    }
    // Newest active key signs, so instances that raced or rotated converge.
    const active = [...entries.values()].filter((e) => !e.retiredAt && e.privateKey);
    active.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.kid < b.kid ? -1 : 1));
    const keep = active.length === 0 ? this.#entries.get(this.#currentKid) : undefined;
    if (keep) {
      // Nothing signable in the store any more (e.g. retired elsewhere): keep signing with ours
      // rather than fail; the next rotation or refresh replaces it.
      entries.set(keep.kid, keep);
      active.push(keep);
    }
    this.#entries = entries;
    this.#currentKid = active[0]?.kid ?? "";
  }

  async #decryptPrivate(s: StoredKey, publicKey: CryptoKey): Promise<CryptoKey | undefined> {
    const opts = this.#opts!;
    let jwk: JWK;
    try {
      jwk = JSON.parse(await opts.keyring.decryptText(s.privateJwkEncrypted, aadFor(s.kid))) as JWK;
    } catch (error) {
      if (!opts.retireUndecryptable) {
        throw new Error(`JWT signing key ${s.kid} cannot be decrypted (was ENCRYPTION_KEY changed?)`, {
          cause: error,
        });
      }
      await opts.backend.markRetired(s.kid, this.#clock());
      return undefined;
    }
    return importPrivate(jwk, publicKey, s.kid);
  }

  async #addGenerated(): Promise<void> {
    const opts = this.#opts!;
    const pair = await generateKeyPair("Ed25519", { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const kid = await calculateJwkThumbprint(privateJwk);
    const publicJwk = publicOnly(privateJwk, kid);
    const createdAt = this.#clock();
    await opts.backend.save({
      kid,
      privateJwkEncrypted: await opts.keyring.encrypt(JSON.stringify(privateJwk), aadFor(kid)),
      publicJwk,
      createdAt,
      retiredAt: null,
    });
    const publicKey = await importPublic(publicJwk);
    const privateKey = await importPrivate(privateJwk, publicKey, kid);
    this.#entries.set(kid, { kid, publicJwk, publicKey, privateKey, createdAt, retiredAt: undefined });
    this.#currentKid = kid;
  }
}

/** In-memory backend for tests and single-process development. */
export function memoryKeyStoreBackend(
  initial: StoredKey[] = [],
): KeyStoreBackend & { readonly rows: StoredKey[] } {
  const rows = initial.map((k) => ({ ...k }));
  return {
    rows,
    async load() {
      return rows.map((k) => ({ ...k }));
    },
    async save(key) {
      if (rows.some((k) => k.kid === key.kid)) throw new Error(`duplicate kid ${key.kid}`);
      rows.push({ ...key });
    },
    async markRetired(kid, at) {
      const row = rows.find((k) => k.kid === kid);
      if (row && !row.retiredAt) row.retiredAt = at;
    },
  };
}
