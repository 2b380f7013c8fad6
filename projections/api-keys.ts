/**
 * Inline projection `api_keys`: every key by id and by the SHA-256 of the key,
 * so a revocation is refused from the very next request. `version` is the
 * `apikey-<uuid>` stream's. Last use lives elsewhere (`api_key_usage`, not from the log).
 */
import type { ApiKeyCreated, ApiKeyRevoked } from "../events/catalog/api-keys.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type { Projection } from "./types.ts";

export const apiKeysProjection: Projection = {
  name: "api-keys",
  mode: "inline",
  eventTypes: ["ApiKeyCreated", "ApiKeyRevoked"],
  tables: ["api_keys"],
  async apply(sql, e) {
    if (e.type === "ApiKeyCreated") {
      const d = e.data as EventOf<typeof ApiKeyCreated>["data"];
      await sql.query(
        `INSERT INTO api_keys (key_id, user_id, name, scopes, prefix, key_hash, created_at, expires_at,
                               revoked_at, revoke_reason, version)
         VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8, NULL, NULL, $9)`,
        [
          d.keyId,
          d.userId,
          d.name,
          JSON.stringify(d.scopes),
          d.prefix,
          d.keyHash,
          e.recordedAt.toISOString(),
          d.expiresAt,
          e.streamVersion,
        ],
      );
      return;
    }
    const d = e.data as EventOf<typeof ApiKeyRevoked>["data"];
    await sql.query(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2), revoke_reason = coalesce(revoke_reason, $3),
              version = $4
       WHERE key_id = $1`,
      [d.keyId, e.recordedAt.toISOString(), d.reason, e.streamVersion],
    );
  },
};
