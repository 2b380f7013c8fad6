/**
 * Stream type → the evolver that folds that stream's events into its state:
 * what `GET /v1/audit/streams/{id}/state?at=` time-travels with (through
 * `stateAt`, events/time-travel.ts). A new aggregate becomes auditable by
 * adding one line to STREAM_EVOLVERS.
 *
 * The states here are what an auditor needs to see, not secrets: no password
 * hashes and no token hashes (they could be attacked offline).
 */
import type { Evolver } from "../../events/handle.ts";
import type { StoredEvent } from "../../events/types.ts";
import { alertEvolver } from "../security/alerts/alert.ts";
import { banEvolver } from "../security/bans/ban.ts";

export interface AuditedUser {
  exists: boolean;
  userId: string | null;
  email: string | null;
  displayName: string | null;
  roles: string[];
  status: "active" | "disabled" | null;
  emailVerified: boolean;
  failedLogins: number;
  lockedUntil: string | null;
  passwordChangedAt: string | null;
  lastLoginAt: string | null;
}

type Data = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : null);

/** The user stream (`user-<id>`), folded as the `users` projection reads it (projections/users.ts). */
export const auditedUserEvolver: Evolver<AuditedUser> = {
  initialState: () => ({
    exists: false,
    userId: null,
    email: null,
    displayName: null,
    roles: [],
    status: null,
    emailVerified: false,
    failedLogins: 0,
    lockedUntil: null,
    passwordChangedAt: null,
    lastLoginAt: null,
  }),
  evolve(s, e: StoredEvent) {
    const d = (e.data ?? {}) as Data;
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case "UserRegistered":
        return {
          ...s,
          exists: true,
          userId: str(d.userId),
          email: str(d.email),
          displayName: str(d.displayName),
          roles: Array.isArray(d.roles) ? d.roles.map(String) : [],
          status: "active",
        };
      case "LoginSucceeded":
        return { ...s, failedLogins: 0, lastLoginAt: at };
      case "LoginFailed":
      case "PasswordChangeFailed":
        return d.reason === "invalid_password" ? { ...s, failedLogins: s.failedLogins + 1 } : s;
      case "AccountLocked":
        return { ...s, failedLogins: 0, lockedUntil: str(d.until) };
      case "AccountUnlocked":
        return { ...s, failedLogins: 0, lockedUntil: null };
      case "EmailVerified":
        return { ...s, emailVerified: true };
      case "PasswordResetCompleted":
      case "PasswordChanged":
        return { ...s, failedLogins: 0, passwordChangedAt: at };
      case "UserRoleGranted": {
        const role = String(d.role);
        return s.roles.includes(role) ? s : { ...s, roles: [...s.roles, role] };
      }
      case "UserRoleRevoked":
        return { ...s, roles: s.roles.filter((r) => r !== String(d.role)) };
      case "UserDisabled":
        return { ...s, status: "disabled" };
      case "UserEnabled":
        return { ...s, status: "active" };
      default:
        return s;
    }
  },
};

export interface AuditedSession {
  exists: boolean;
  sessionId: string | null;
  userId: string | null;
  startedAt: string | null;
  expiresAt: string | null;
  refreshes: number;
  revokedAt: string | null;
  revokeReason: string | null;
  reuseDetected: boolean;
}

/** The session stream (`session-<id>`). */
export const auditedSessionEvolver: Evolver<AuditedSession> = {
  initialState: () => ({
    exists: false,
    sessionId: null,
    userId: null,
    startedAt: null,
    expiresAt: null,
    refreshes: 0,
    revokedAt: null,
    revokeReason: null,
    reuseDetected: false,
  }),
  evolve(s, e: StoredEvent) {
    const d = (e.data ?? {}) as Data;
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case "SessionStarted":
        return {
          ...s,
          exists: true,
          sessionId: str(d.sessionId),
          userId: str(d.userId),
          startedAt: at,
          expiresAt: str(d.expiresAt),
        };
      case "RefreshTokenRotated":
        return { ...s, refreshes: s.refreshes + 1, expiresAt: str(d.expiresAt) };
      case "RefreshTokenReuseDetected":
        return { ...s, reuseDetected: true };
      case "SessionRevoked":
        return { ...s, revokedAt: at, revokeReason: str(d.reason) };
      default:
        return s;
    }
  },
};

/** Stream type (the id's prefix, see `streamTypeOf`) → its evolver. */
export const STREAM_EVOLVERS: Readonly<Record<string, Evolver<unknown>>> = {
  user: auditedUserEvolver as Evolver<unknown>,
  session: auditedSessionEvolver as Evolver<unknown>,
  alert: alertEvolver as Evolver<unknown>,
  ban: banEvolver as Evolver<unknown>,
};

export function evolverFor(streamType: string): Evolver<unknown> | undefined {
  return Object.hasOwn(STREAM_EVOLVERS, streamType) ? STREAM_EVOLVERS[streamType] : undefined;
}
