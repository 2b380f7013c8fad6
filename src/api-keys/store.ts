/** Reading the `api_keys` projection (and the last-use table beside it). */
import type { Sql } from "../../db/client.ts";

export interface ApiKeyState {
  keyId: string;
  userId: string;
  name: string;
  scopes: string[];
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  version: number;
}

interface Row {
  key_id: string;
  user_id: string;
  name: string;
  scopes: string[];
  prefix: string;
  created_at: Date | string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
  last_used_ip: string | null;
  version: number;
}

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const maybeDate = (v: Date | string | null) => (v === null ? null : date(v));

const fromRow = (r: Row): ApiKeyState => ({
  keyId: r.key_id,
  userId: r.user_id,
  name: r.name,
  scopes: r.scopes,
  prefix: r.prefix,
  createdAt: date(r.created_at),
  expiresAt: maybeDate(r.expires_at),
  revokedAt: maybeDate(r.revoked_at),
  lastUsedAt: maybeDate(r.last_used_at),
  lastUsedIp: r.last_used_ip,
  version: Number(r.version),
});

const SELECT = `SELECT k.key_id, k.user_id, k.name, k.scopes, k.prefix, k.created_at, k.expires_at, k.revoked_at,
                       u.last_used_at, u.last_used_ip, k.version
                FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.key_id`;

export const apiKeyStream = (keyId: string) => `apikey-${keyId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function apiKeyById(sql: Sql, keyId: string): Promise<ApiKeyState | null> {
  if (!UUID.test(keyId)) return null;
  const rows = await sql.query<Row>(`${SELECT} WHERE k.key_id = $1`, [keyId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** All of a user's keys, newest first (revoked ones included: the list is also a history). */
export async function apiKeysOf(sql: Sql, userId: string): Promise<ApiKeyState[]> {
  const rows = await sql.query<Row>(`${SELECT} WHERE k.user_id = $1 ORDER BY k.created_at DESC, k.key_id`, [
    userId,
  ]);
  return rows.map(fromRow);
}

export function apiKeyBody(k: ApiKeyState) {
  return {
    id: k.keyId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: k.lastUsedIp,
  };
}
