/**
 * Who a request's credentials name, verified cheaply and before any route runs,
 * for the per-IP rate limit (src/security/ratelimit/policies.ts): a request that
 * proves a principal is limited per user or per key, not by the anonymous
 * bucket of its IP, so signed-in users behind one NAT are not starved by
 * anonymous traffic from it.
 *
 * "Verified" means what cannot be forged: an access token whose signature,
 * issuer, audience, type and expiry check out (the Ed25519 verification is
 * memoised per token, shared with requireAuth), or an API key that exists,
 * is not revoked or expired and whose owner is active (one indexed lookup,
 * remembered 5 s). The session itself is checked by requireAuth as ever; a
 * revoked session's token answers 401 there and is charged to the IP then.
 */
import type { Context } from "hono";
import { isWellFormed } from "../api-keys/key.ts";
import type { AppDeps } from "../app.ts";
import { sha256Hex } from "../crypto/random.ts";
import type { AppEnv } from "../http/env.ts";
import type { AuthServices } from "./services.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

export type Principal = { kind: "user"; userId: string } | { kind: "key"; keyId: string; userId: string };

const shared = new WeakMap<AuthServices, VerifiedTokens>();

/** One memo of verified access tokens per AuthServices: the limiter's check warms requireAuth's. */
export function verifiedTokensOf(auth: AuthServices): VerifiedTokens {
  let memo = shared.get(auth);
  if (!memo) {
    memo = new VerifiedTokens();
    shared.set(auth, memo);
  }
  return memo;
}

/** The bearer token or API key a request carries, as requireAuth reads them. */
export function credentialOf(c: Context<AppEnv>): { kind: "jwt" | "key"; value: string } | null {
  const header = c.req.header("Authorization");
  const xApiKey = c.req.header("X-API-Key");
  const bearer = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header)?.[1] : undefined;
  if (xApiKey !== undefined) return header === undefined ? { kind: "key", value: xApiKey.trim() } : null;
  if (!bearer) return null;
  return { kind: bearer.startsWith("mk_") ? "key" : "jwt", value: bearer };
}

const KEY_MEMO_MS = 5000;
const KEY_MEMO_MAX = 10_000;

export function principalVerifier(deps: AppDeps): (c: Context<AppEnv>) => Promise<Principal | null> {
  const auth = deps.auth;
  if (!auth) return async () => null;
  const tokens = verifiedTokensOf(auth);
  const keys = new Map<string, { keyId: string; userId: string; until: number }>();

  async function apiKey(key: string): Promise<Principal | null> {
    if (!isWellFormed(key)) return null;
    const hash = sha256Hex(key);
    const now = deps.clock.now().getTime();
    const memo = keys.get(hash);
    if (memo && memo.until > now) return { kind: "key", keyId: memo.keyId, userId: memo.userId };
    const [row] = await deps.db.query<{ key_id: string; user_id: string }>(
      `SELECT k.key_id, k.user_id FROM api_keys k JOIN users u ON u.user_id = k.user_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.status = 'active'
         AND (k.expires_at IS NULL OR k.expires_at > $2)`,
      [hash, new Date(now).toISOString()],
    );
    if (!row) return null;
    if (keys.size >= KEY_MEMO_MAX) keys.clear();
    keys.set(hash, { keyId: row.key_id, userId: row.user_id, until: now + KEY_MEMO_MS });
    return { kind: "key", keyId: row.key_id, userId: row.user_id };
  }

  return async (c) => {
    const cred = credentialOf(c);
    if (!cred) return null;
    try {
      if (cred.kind === "key") return await apiKey(cred.value);
      const cached = tokens.get(cred.value, deps.clock.now());
      if (cached) return { kind: "user", userId: cached.sub };
      const claims = await auth.tokens.verifyAccess(cred.value);
      tokens.set(cred.value, claims);
      return { kind: "user", userId: claims.sub };
    } catch {
      // Forged, expired or unreadable: no principal, so the IP limit applies.
      return null;
    }
  };
}
