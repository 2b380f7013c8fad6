/** The admin's read side: user search with cursor pagination, and one user in full. */
import type { Sql } from "../../db/client.ts";
import { apiKeyBody, apiKeysOf } from "../api-keys/store.ts";
import { base64UrlDecode, base64UrlEncode, utf8 } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { userById } from "../identity/user.ts";
import { mfaStateIn } from "../mfa/state.ts";
import { openSessions } from "../sessions/session.ts";

export interface UserSearch {
  email?: string | undefined;
  role?: string | undefined;
  status?: "active" | "disabled" | undefined;
  cursor?: string | undefined;
  limit: number;
}

interface ListRow {
  user_id: string;
  email: string;
  display_name: string | null;
  roles: string[];
  status: string;
  email_verified: boolean;
  locked_until: Date | string | null;
  created_at: Date | string;
  mfa: boolean | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(new TextDecoder().decode(base64UrlDecode(cursor))) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") {
      if (!Number.isNaN(Date.parse(v[0])) && /^[0-9a-f-]{36}$/i.test(v[1])) return [v[0], v[1]];
    }
  } catch {}
  throw new AppError("validation_failed", "Invalid cursor", {
    errors: [{ path: "query.cursor", message: "not a cursor this API returned" }],
  });
}

const encodeCursor = (createdAt: string, userId: string) =>
  base64UrlEncode(utf8(JSON.stringify([createdAt, userId])));

/** Oldest first; `nextCursor` continues after the last row (null at the end). */
export async function searchUsers(sql: Sql, q: UserSearch) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (q.email)
    add(
      (p) => `lower(u.email) LIKE ${p} ESCAPE '\\'`,
      `${q.email.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`,
    );
  if (q.role) add((p) => `u.roles @> jsonb_build_array(${p}::text)`, q.role);
  if (q.status) add((p) => `u.status = ${p}`, q.status);
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor);
    params.push(at, id);
    where.push(`(u.created_at, u.user_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(q.limit + 1);
  const rows = await sql.query<ListRow>(
    `SELECT u.user_id, u.email, u.display_name, u.roles, u.status, u.email_verified, u.locked_until, u.created_at,
            m.totp_enabled AS mfa
     FROM users u LEFT JOIN mfa_factors m ON m.user_id = u.user_id
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY u.created_at, u.user_id LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, q.limit).map((r) => ({
    id: r.user_id,
    email: r.email,
    displayName: r.display_name,
    roles: r.roles,
    status: r.status,
    emailVerified: r.email_verified,
    lockedUntil: iso(r.locked_until),
    mfaEnabled: r.mfa === true,
    createdAt: iso(r.created_at)!,
  }));
  const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
  return { users: page, nextCursor: last ? encodeCursor(iso(last.created_at)!, last.user_id) : null };
}

export async function userDetail(sql: Sql, userId: string, now: Date) {
  const user = await userById(sql, userId);
  if (!user) throw new AppError("not_found", "No such user");
  const mfa = await mfaStateIn(sql, userId);
  const sessions = await openSessions(sql, userId, now);
  const keys = await apiKeysOf(sql, userId);
  return {
    id: user.userId,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    status: user.status,
    emailVerified: user.emailVerified,
    createdAt: user.createdAt.toISOString(),
    lockout: {
      locked: user.lockedUntil !== null && user.lockedUntil > now,
      lockedUntil: user.lockedUntil?.toISOString() ?? null,
      failedLogins: user.failedLogins,
    },
    mfa: {
      totpEnabled: mfa?.totpEnabled ?? false,
      enabledAt: mfa?.enabledAt?.toISOString() ?? null,
      backupCodesRemaining: mfa?.totpEnabled ? mfa.backupHashes.filter((h) => h !== null).length : 0,
    },
    sessions: sessions.map((s) => ({
      id: s.sessionId,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
      expiresAt: s.expiresAt.toISOString(),
    })),
    apiKeys: keys.map(apiKeyBody),
  };
}
