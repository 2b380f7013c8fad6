/**
 * JWT signing keys in Postgres (`jwt_keys`), private halves sealed by the
 * keyring: the KeyStoreBackend that src/crypto/jwt-keys.ts loads and saves
 * through. Keys are secrets, so they live here and never in the event log.
 */
import type { Sql } from "../../db/client.ts";
import type { JWK, KeyStoreBackend, StoredKey } from "../crypto/jwt.ts";

interface Row {
  kid: string;
  private_jwk_encrypted: string;
  public_jwk: JWK;
  created_at: Date | string;
  retired_at: Date | string | null;
}

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

export function postgresKeyStoreBackend(sql: Sql): KeyStoreBackend {
  return {
    async load() {
      const rows = await sql.query<Row>(
        "SELECT kid, private_jwk_encrypted, public_jwk, created_at, retired_at FROM jwt_keys ORDER BY created_at",
      );
      return rows.map(
        (r): StoredKey => ({
          kid: r.kid,
          privateJwkEncrypted: r.private_jwk_encrypted,
          publicJwk: r.public_jwk,
          createdAt: date(r.created_at),
          retiredAt: r.retired_at === null ? null : date(r.retired_at),
        }),
      );
    },
    async save(key) {
      await sql.query(
        `INSERT INTO jwt_keys (kid, private_jwk_encrypted, public_jwk, created_at, retired_at)
         VALUES ($1, $2, $3::text::jsonb, $4, $5)`,
        [
          key.kid,
          key.privateJwkEncrypted,
          JSON.stringify(key.publicJwk),
          key.createdAt.toISOString(),
          key.retiredAt?.toISOString() ?? null,
        ],
      );
    },
    async markRetired(kid, at) {
      await sql.query("UPDATE jwt_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL", [
        kid,
        at.toISOString(),
      ]);
    },
  };
}
