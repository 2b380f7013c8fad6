/**
 * The session aggregate (stream `session-<uuid>`): state as the `sessions`
 * projection keeps it, and the pure decisions of starting, refreshing, revoking
 * and evicting. Tested given/when/then in session.test.ts.
 */
import type { Sql } from "../../db/client.ts";
import type { SessionRevokeReason } from "../../events/catalog/sessions.ts";
import type { NewEvent } from "../../events/types.ts";

export interface SessionState {
  sessionId: string;
  userId: string;
  createdAt: Date;
  /** Last start or refresh, from the log. Per-request activity is in the SessionGuard. */
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
  refreshTokenHash: string;
  version: number;
}

export const sessionStream = (sessionId: string) => `session-${sessionId}`;

interface SessionRow {
  session_id: string;
  user_id: string;
  created_at: Date | string;
  last_seen_at: Date | string;
  ip: string | null;
  user_agent: string | null;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  refresh_token_hash: string;
  version: number;
}

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function fromRow(r: SessionRow): SessionState {
  return {
    sessionId: r.session_id,
    userId: r.user_id,
    createdAt: toDate(r.created_at),
    lastSeenAt: toDate(r.last_seen_at),
    ip: r.ip,
    userAgent: r.user_agent,
    expiresAt: toDate(r.expires_at),
    revokedAt: r.revoked_at === null ? null : toDate(r.revoked_at),
    refreshTokenHash: r.refresh_token_hash,
    version: Number(r.version),
  };
}

const COLUMNS =
  "session_id, user_id, created_at, last_seen_at, ip, user_agent, expires_at, revoked_at, refresh_token_hash, version";

export async function sessionById(sql: Sql, sessionId: string): Promise<SessionState | null> {
  const rows = await sql.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE session_id = $1`, [
    sessionId,
  ]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The user's sessions that are neither revoked nor expired, oldest first. */
export async function openSessions(sql: Sql, userId: string, now: Date): Promise<SessionState[]> {
  const rows = await sql.query<SessionRow>(
    `SELECT ${COLUMNS} FROM sessions
     WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
     ORDER BY created_at, session_id`,
    [userId, now.toISOString()],
  );
  return rows.map(fromRow);
}

/** The later of the log's last activity and the guard's (per-request) one. */
export function lastActivity(s: SessionState, guardSeen: Date | undefined): Date {
  return guardSeen && guardSeen > s.lastSeenAt ? guardSeen : s.lastSeenAt;
}

export function isIdle(
  s: SessionState,
  guardSeen: Date | undefined,
  now: Date,
  idleSeconds: number,
): boolean {
  return now.getTime() - lastActivity(s, guardSeen).getTime() > idleSeconds * 1000;
}

export function decideRevoke(s: SessionState, reason: SessionRevokeReason): NewEvent[] {
  if (s.revokedAt) return [];
  return [{ type: "SessionRevoked", data: { sessionId: s.sessionId, userId: s.userId, reason } }];
}

export interface StartSession {
  sessionId: string;
  userId: string;
  refreshTokenHash: string;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export function decideStart(cmd: StartSession): NewEvent[] {
  return [
    {
      type: "SessionStarted",
      data: {
        sessionId: cmd.sessionId,
        userId: cmd.userId,
        refreshTokenHash: cmd.refreshTokenHash,
        expiresAt: cmd.expiresAt.toISOString(),
        ip: cmd.ip?.slice(0, 64) ?? null,
        userAgent: cmd.userAgent?.slice(0, 512) ?? null,
      },
    },
  ];
}

/**
 * Which open sessions end when one more starts: the idle ones (as idle
 * timeouts), then the oldest live ones until the new one fits under `max`.
 */
export function planEviction(
  open: readonly SessionState[],
  guardSeen: ReadonlyMap<string, Date>,
  now: Date,
  idleSecondsFor: (s: SessionState) => number,
  max: number,
): { idle: SessionState[]; evicted: SessionState[] } {
  const idle = open.filter((s) => isIdle(s, guardSeen.get(s.sessionId), now, idleSecondsFor(s)));
  const live = open
    .filter((s) => !idle.includes(s))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.sessionId.localeCompare(b.sessionId));
  const excess = Math.max(0, live.length - (max - 1));
  return { idle, evicted: live.slice(0, excess) };
}

/** The refresh-token row a presented token hashed to, if any. */
export interface PresentedToken {
  tokenHash: string;
  spent: boolean;
  expiresAt: Date;
}

export interface RefreshCommand {
  now: Date;
  newTokenHash: string;
  newExpiresAt: Date;
  guardSeen: Date | undefined;
  idleSeconds: number;
}

export type RefreshOutcome =
  | { kind: "rotated" }
  | { kind: "reused" }
  | { kind: "invalid"; why: "revoked" | "expired" }
  | { kind: "idle" };

/** What presenting `token` of session `s` does. Reuse of a spent token kills the whole family. */
export function decideRefresh(
  s: SessionState,
  token: PresentedToken,
  cmd: RefreshCommand,
): { outcome: RefreshOutcome; events: NewEvent[] } {
  const base = { sessionId: s.sessionId, userId: s.userId };
  if (token.spent) {
    return {
      outcome: { kind: "reused" },
      events: [
        { type: "RefreshTokenReuseDetected", data: { ...base, tokenHash: token.tokenHash } },
        ...decideRevoke(s, "reuse_detected"),
      ],
    };
  }
  if (s.revokedAt) return { outcome: { kind: "invalid", why: "revoked" }, events: [] };
  if (token.expiresAt.getTime() <= cmd.now.getTime() || s.expiresAt.getTime() <= cmd.now.getTime()) {
    return { outcome: { kind: "invalid", why: "expired" }, events: [] };
  }
  if (isIdle(s, cmd.guardSeen, cmd.now, cmd.idleSeconds)) {
    return { outcome: { kind: "idle" }, events: decideRevoke(s, "idle_timeout") };
  }
  return {
    outcome: { kind: "rotated" },
    events: [
      {
        type: "RefreshTokenRotated",
        data: {
          ...base,
          previousTokenHash: token.tokenHash,
          refreshTokenHash: cmd.newTokenHash,
          expiresAt: cmd.newExpiresAt.toISOString(),
        },
      },
    ],
  };
}
