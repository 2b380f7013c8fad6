/**
 * Who a user is right now, for authorisation: roles, account status and
 * whether two-factor is on, read from the `users` and `mfa_factors` projections.
 *
 * Why not the roles in the access token: a token lives up to 15 minutes, so a
 * revoked role would keep working that long. Every authenticated request
 * instead takes its roles from here, through a short per-process cache
 * (TTL_MS). The process that grants or revokes a role, disables a user or
 * switches two-factor drops its entry at once; other processes see the change
 * within TTL_MS. (Revoking every session on a role change would also work but
 * logs the user out for a grant, and still leaves the token's copy stale
 * between revoke and expiry on a guard that missed the marker.)
 */
import type { Sql } from "../../db/client.ts";

export interface Principal {
  userId: string;
  roles: string[];
  status: "active" | "disabled";
  mfaEnabled: boolean;
}

export const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

interface Entry {
  value: Principal | null;
  at: number;
}

export class Principals {
  private readonly cache = new Map<string, Entry>();
  constructor(
    private readonly sql: Sql,
    private readonly now: () => number,
  ) {}

  async get(userId: string): Promise<Principal | null> {
    const hit = this.cache.get(userId);
    const t = this.now();
    if (hit && t - hit.at < TTL_MS && t >= hit.at) return hit.value;
    const value = await loadPrincipal(this.sql, userId);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(userId, { value, at: t });
    return value;
  }

  invalidate(userId: string): void {
    this.cache.delete(userId);
  }
}

export async function loadPrincipal(sql: Sql, userId: string): Promise<Principal | null> {
  const rows = await sql.query<{ roles: string[]; status: "active" | "disabled"; mfa: boolean | null }>(
    `SELECT u.roles, u.status, m.totp_enabled AS mfa
     FROM users u LEFT JOIN mfa_factors m ON m.user_id = u.user_id
     WHERE u.user_id = $1`,
    [userId],
  );
  const r = rows[0];
  return r ? { userId, roles: r.roles, status: r.status, mfaEnabled: r.mfa === true } : null;
}

// One cache per database handle: every router of an app shares it, so an
// invalidation reaches them all.
const byDb = new WeakMap<object, Principals>();

export function principalsFor(deps: { db: Sql; clock: { now(): Date } }): Principals {
  let p = byDb.get(deps.db);
  if (!p) {
    p = new Principals(deps.db, () => deps.clock.now().getTime());
    byDb.set(deps.db, p);
  }
  return p;
}
