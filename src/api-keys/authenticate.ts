/**
 * API-key authentication for `requireAuth` (src/auth/middleware.ts): shape and
 * checksum first (no lookup), then one indexed query by SHA-256(key) that also
 * brings the owner's current roles, status and two-factor state, so a key's
 * powers follow its owner at request time.
 *
 * Last use (time, IP) is recorded without an event: a request is not a domain
 * fact, and an event per request would flood the log and serialise every call
 * of a key on its stream row. It is a plain upsert into `api_key_usage` (not a
 * projection, so rebuilds neither need nor touch it), at most once a minute
 * per key and process.
 */
import type { AppDeps } from "../app.ts";
import { sha256Hex } from "../crypto/random.ts";
import type { AuthContext } from "../http/env.ts";
import { AppError, type ErrorCode } from "../http/errors.ts";
import { isWellFormed } from "./key.ts";

export const USAGE_WRITE_INTERVAL_MS = 60_000;

interface KeyRow {
  key_id: string;
  user_id: string;
  scopes: string[];
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  roles: string[];
  status: "active" | "disabled";
  mfa: boolean | null;
}

const lastWrites = new WeakMap<object, Map<string, number>>();

function refuse(code: ErrorCode, detail: string): AppError {
  return new AppError(code, detail, {
    headers: { "WWW-Authenticate": `Bearer realm="vigil", error="invalid_token"` },
  });
}

export async function authenticateApiKey(
  deps: AppDeps,
  key: string,
  ip: string | null,
): Promise<AuthContext> {
  if (!isWellFormed(key)) {
    throw refuse("api_key_malformed", "This is not a well-formed Vigil API key (check for a typo)");
  }
  const [row] = await deps.db.query<KeyRow>(
    `SELECT k.key_id, k.user_id, k.scopes, k.expires_at, k.revoked_at, u.roles, u.status, m.totp_enabled AS mfa
     FROM api_keys k JOIN users u ON u.user_id = k.user_id LEFT JOIN mfa_factors m ON m.user_id = k.user_id
     WHERE k.key_hash = $1`,
    [sha256Hex(key)],
  );
  if (!row) throw refuse("api_key_invalid", "Unknown API key");
  const now = deps.clock.now();
  if (row.revoked_at !== null || row.status !== "active")
    throw refuse("api_key_revoked", "This API key was revoked");
  if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now.getTime()) {
    throw refuse("api_key_expired", "This API key has expired");
  }
  await recordUse(deps, row.key_id, ip, now);
  return {
    userId: row.user_id,
    sessionId: "",
    roles: row.roles,
    apiKey: { id: row.key_id, scopes: row.scopes },
    needsSecondFactor: deps.config.adminRequireMfa && row.mfa !== true,
  };
}

async function recordUse(deps: AppDeps, keyId: string, ip: string | null, now: Date): Promise<void> {
  let seen = lastWrites.get(deps.db);
  if (!seen) {
    seen = new Map();
    lastWrites.set(deps.db, seen);
  }
  const last = seen.get(keyId);
  if (last !== undefined && now.getTime() - last < USAGE_WRITE_INTERVAL_MS && now.getTime() >= last) return;
  if (seen.size >= 100_000) seen.clear();
  seen.set(keyId, now.getTime());
  try {
    // The WHERE keeps other processes to the same once-a-minute pace.
    await deps.db.query(
      `INSERT INTO api_key_usage (key_id, last_used_at, last_used_ip) VALUES ($1, $2, $3)
       ON CONFLICT (key_id) DO UPDATE SET last_used_at = EXCLUDED.last_used_at, last_used_ip = EXCLUDED.last_used_ip
       WHERE api_key_usage.last_used_at <= EXCLUDED.last_used_at - interval '60 seconds'`,
      [keyId, now.toISOString(), ip?.slice(0, 64) ?? null],
    );
  } catch (err) {
    deps.logger.warn({ err, keyId }, "could not record API key use");
  }
}
