/**
 * Inline projection `sessions` + `refresh_tokens`: live sessions and every
 * refresh token of each family, by hash. A spent hash presented again is reuse
 * (src/sessions/refresh.ts). `sessions.version` is the session stream's version.
 */
import type { EventOf } from "../events/catalog/index.ts";
import type { RefreshTokenRotated, SessionRevoked, SessionStarted } from "../events/catalog/sessions.ts";
import type { Projection } from "./types.ts";

export const SESSION_STREAM_EVENTS = [
  "SessionStarted",
  "RefreshTokenRotated",
  "RefreshTokenReuseDetected",
  "SessionRevoked",
] as const;

export const sessionsProjection: Projection = {
  name: "sessions",
  mode: "inline",
  eventTypes: SESSION_STREAM_EVENTS,
  tables: ["sessions", "refresh_tokens"],
  async apply(sql, e) {
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case "SessionStarted": {
        const d = e.data as EventOf<typeof SessionStarted>["data"];
        await sql.query(
          `INSERT INTO sessions (session_id, user_id, created_at, last_seen_at, ip, user_agent, expires_at,
                                 revoked_at, revoke_reason, refresh_token_hash, version)
           VALUES ($1, $2, $3, $3, $4, $5, $6, NULL, NULL, $7, $8)`,
          [d.sessionId, d.userId, at, d.ip, d.userAgent, d.expiresAt, d.refreshTokenHash, e.streamVersion],
        );
        await sql.query(
          "INSERT INTO refresh_tokens (token_hash, session_id, spent, expires_at) VALUES ($1, $2, false, $3)",
          [d.refreshTokenHash, d.sessionId, d.expiresAt],
        );
        return;
      }
      case "RefreshTokenRotated": {
        const d = e.data as EventOf<typeof RefreshTokenRotated>["data"];
        await sql.query("UPDATE refresh_tokens SET spent = true WHERE token_hash = $1", [
          d.previousTokenHash,
        ]);
        await sql.query(
          "INSERT INTO refresh_tokens (token_hash, session_id, spent, expires_at) VALUES ($1, $2, false, $3)",
          [d.refreshTokenHash, d.sessionId, d.expiresAt],
        );
        await sql.query(
          `UPDATE sessions SET refresh_token_hash = $2, expires_at = $3, last_seen_at = $4, version = $5
           WHERE session_id = $1`,
          [d.sessionId, d.refreshTokenHash, d.expiresAt, at, e.streamVersion],
        );
        return;
      }
      case "SessionRevoked": {
        const d = e.data as EventOf<typeof SessionRevoked>["data"];
        await sql.query(
          `UPDATE sessions SET revoked_at = coalesce(revoked_at, $2), revoke_reason = coalesce(revoke_reason, $3),
                  version = $4
           WHERE session_id = $1`,
          [d.sessionId, at, d.reason, e.streamVersion],
        );
        return;
      }
      default:
        await sql.query("UPDATE sessions SET version = $2 WHERE session_id = $1", [
          (e.data as { sessionId: string }).sessionId,
          e.streamVersion,
        ]);
    }
  },
};
