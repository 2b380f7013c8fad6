/**
 * The checkpoint signing keys: Ed25519, kept apart from the JWT keys (a leaked
 * token key must not let anyone forge history, nor the reverse), secret halves
 * sealed with the ENCRYPTION_KEY keyring (AAD bound to the key id), rotated by
 * `npm run cli -- keys rotate-checkpoint`. The key id is the signed-note key ID
 * in hex, so it is what appears in every signature line.
 *
 * Rotation retires the old key; checkpoints it signed stay valid under its
 * verifier key, which the audit API keeps publishing in the key list.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Db } from "../../db/client.ts";
import { ed25519KeyId, ed25519VerifierKey, signNote } from "../../events/ledger/note.ts";
import type { Keyring } from "../crypto/aead.ts";

export interface CheckpointKey {
  keyId: string;
  name: string;
  publicKey: Uint8Array;
  /** `name+keyid+base64(0x01‖key)`: what verifiers are configured with. */
  verifierKey: string;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface CheckpointSigner {
  /** Signs a note text with the current key (created on first use). */
  sign(text: string): Promise<{ note: string; keyId: string }>;
}

export interface CheckpointKeys extends CheckpointSigner {
  /** The current key, created when there is none or when it was made for another origin. */
  current(): Promise<CheckpointKey>;
  /** Every key, newest first. */
  list(): Promise<CheckpointKey[]>;
  /** Retires the current key and makes a new one. */
  rotate(): Promise<CheckpointKey>;
}

interface Row {
  key_id: string;
  name: string;
  public_key: Uint8Array;
  secret_key_encrypted: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}

const aadFor = (keyId: string) => `checkpoint-signing-key:${keyId}`;
const LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil:ledger-keys'))";
const COLUMNS = "key_id, name, public_key, secret_key_encrypted, created_at, retired_at";

function toKey(r: Row): CheckpointKey {
  const publicKey = new Uint8Array(r.public_key);
  return {
    keyId: r.key_id,
    name: r.name,
    publicKey,
    verifierKey: ed25519VerifierKey(r.name, publicKey),
    createdAt: new Date(r.created_at),
    retiredAt: r.retired_at === null ? null : new Date(r.retired_at),
  };
}

export function checkpointKeys(opts: {
  db: Db;
  keyring: Keyring;
  /** The checkpoint origin: also the key name, as the C2SP spec recommends. */
  name: string;
  clock: { now(): Date };
}): CheckpointKeys {
  const { db, keyring, name } = opts;
  let cached: { keyId: string; secretKey: Uint8Array } | undefined;

  async function currentRow(): Promise<Row | undefined> {
    const [row] = await db.query<Row>(
      `SELECT ${COLUMNS} FROM ledger_keys WHERE retired_at IS NULL AND name = $1 ORDER BY created_at DESC LIMIT 1`,
      [name],
    );
    return row;
  }

  /** Makes a new current key under the lock; `retire` first retires every current one. */
  async function create(retire: boolean): Promise<Row> {
    return db.transaction(async (tx) => {
      await tx.query(LOCK);
      if (!retire) {
        const [existing] = await tx.query<Row>(
          `SELECT ${COLUMNS} FROM ledger_keys WHERE retired_at IS NULL AND name = $1 ORDER BY created_at DESC LIMIT 1`,
          [name],
        );
        if (existing) return existing;
      }
      const now = opts.clock.now().toISOString();
      // Keys made for another origin (CHECKPOINT_ORIGIN changed) are retired too.
      await tx.query("UPDATE ledger_keys SET retired_at = $1 WHERE retired_at IS NULL", [now]);
      const secretKey = ed25519.utils.randomSecretKey();
      const publicKey = ed25519.getPublicKey(secretKey);
      const keyId = ed25519KeyId(name, publicKey).toString(16).padStart(8, "0");
      const sealed = await keyring.encrypt(secretKey, aadFor(keyId));
      const [row] = await tx.query<Row>(
        `INSERT INTO ledger_keys (key_id, name, public_key, secret_key_encrypted, created_at)
         VALUES ($1, $2, decode($3, 'hex'), $4, $5) RETURNING ${COLUMNS}`,
        [keyId, name, Array.from(publicKey, (b) => b.toString(16).padStart(2, "0")).join(""), sealed, now],
      );
      return row!;
    });
  }

  async function secretOf(row: Row): Promise<Uint8Array> {
    if (cached?.keyId === row.key_id) return cached.secretKey;
    const secretKey = await keyring.decrypt(row.secret_key_encrypted, aadFor(row.key_id));
    cached = { keyId: row.key_id, secretKey };
    return secretKey;
  }

  const currentOrNew = async () => (await currentRow()) ?? (await create(false));

  return {
    async current() {
      return toKey(await currentOrNew());
    },
    async list() {
      const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_keys ORDER BY created_at DESC, key_id`);
      return rows.map(toKey);
    },
    async rotate() {
      return toKey(await create(true));
    },
    async sign(text) {
      const row = await currentOrNew();
      const secretKey = await secretOf(row);
      return { note: signNote(text, [{ name: row.name, secretKey }]), keyId: row.key_id };
    },
  };
}

/** `keys rotate-encryption`: re-seals every checkpoint key under the keyring's current key. */
export async function resealCheckpointKeys(
  db: Db,
  keyring: Keyring,
): Promise<{ rows: number; resealed: number; undecryptable: number }> {
  const rows = await db.query<{ key_id: string; secret_key_encrypted: string }>(
    "SELECT key_id, secret_key_encrypted FROM ledger_keys",
  );
  let resealed = 0;
  let undecryptable = 0;
  for (const r of rows) {
    if (!keyring.needsReencrypt(r.secret_key_encrypted)) continue;
    let secret: Uint8Array;
    try {
      secret = await keyring.decrypt(r.secret_key_encrypted, aadFor(r.key_id));
    } catch {
      undecryptable++;
      continue;
    }
    await db.query("UPDATE ledger_keys SET secret_key_encrypted = $2 WHERE key_id = $1", [
      r.key_id,
      await keyring.encrypt(secret, aadFor(r.key_id)),
    ]);
    resealed++;
  }
  return { rows: rows.length, resealed, undecryptable };
}
