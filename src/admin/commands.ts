/**
 * Admin commands on a user. Each runs in one transaction holding the user
 * stream row, appends its event(s) with the admin as actor and the reason in
 * both the data and the metadata, and drops the user from the principal cache
 * so the change applies to their next request (src/access/principals.ts).
 *
 * No-op rule (README, design notes): an action that would change nothing (a
 * role already held, an account already active, nothing to unlock, no open
 * session) appends nothing and reports `changed: false`; the caller answers
 * 200 with the current state either way, so a retried request is harmless.
 *
 * The last admin stays: revoking the admin role or disabling an admin takes an
 * advisory lock first, so two admins demoting each other at once cannot both
 * succeed and leave nobody.
 */
import type { Sql } from "../../db/client.ts";
import { ConcurrencyError } from "../../events/errors.ts";
import { ERASED } from "../../events/pii.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import type { Role } from "../access/permissions.ts";
import { principalsFor } from "../access/principals.ts";
import { revokeAllApiKeysIn } from "../api-keys/commands.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import { isLocked, type UserState, userById, userStream } from "../identity/user.ts";
import { markRevoked, revokeSessionsIn } from "../sessions/commands.ts";
import { openSessions } from "../sessions/session.ts";

const RETRIES = 3;

async function lastAdminGuard(tx: Sql, user: UserState, what: string): Promise<void> {
  if (!user.roles.includes("admin") || user.status !== "active") return;
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil:admins'))");
  const [r] = await tx.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM users WHERE status = 'active' AND roles @> '["admin"]'::jsonb`,
  );
  if (Number(r?.n ?? 0) <= 1)
    throw new AppError("last_admin", `Cannot ${what}: this is the last active admin`);
}

interface Effect {
  events: NewEvent[];
  /** Sessions ended in the transaction: the SessionGuard hears after commit. */
  endedSessions?: string[];
}

/** The user after an action, and whether the action changed anything. */
export interface ActionResult {
  user: UserState;
  changed: boolean;
}

async function onUser(
  deps: AuthDeps,
  userId: string,
  metadata: EventMetadata,
  decide: (tx: Sql, user: UserState) => Promise<Effect>,
): Promise<ActionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      let changed = false;
      const ended = await deps.db.transaction(async (tx) => {
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [userStream(userId)]);
        const user = await userById(tx, userId);
        if (!user) throw new AppError("not_found", "No such user");
        const effect = await decide(tx, user);
        changed = effect.events.length > 0 || (effect.endedSessions?.length ?? 0) > 0;
        if (effect.events.length) {
          await deps.store.appendIn(tx, userStream(userId), user.version, effect.events, metadata);
        }
        return effect.endedSessions ?? [];
      });
      await markRevoked(deps, ended);
      principalsFor(deps).invalidate(userId);
      const after = await userById(deps.db, userId);
      if (!after) throw new AppError("not_found", "No such user");
      return { user: after, changed };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
    }
  }
}

export const grantRole = (deps: AuthDeps, userId: string, role: Role, reason: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (_tx, user) => ({
    events: user.roles.includes(role) ? [] : [{ type: "UserRoleGranted", data: { userId, role, reason } }],
  }));

export const revokeRole = (deps: AuthDeps, userId: string, role: Role, reason: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (tx, user) => {
    if (!user.roles.includes(role)) return { events: [] };
    if (role === "admin") await lastAdminGuard(tx, user, "revoke the admin role");
    return { events: [{ type: "UserRoleRevoked", data: { userId, role, reason } }] };
  });

/** Disabling ends every session and API key of the user in the same transaction. */
export const disableUser = (deps: AuthDeps, userId: string, reason: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (tx, user) => {
    if (user.status === "disabled") return { events: [] };
    await lastAdminGuard(tx, user, "disable this account");
    const sessions = await openSessions(tx, userId, deps.clock.now());
    const endedSessions = await revokeSessionsIn(tx, deps, sessions, "account_disabled", meta);
    await revokeAllApiKeysIn(tx, deps, userId, "account_disabled", meta);
    return { events: [{ type: "UserDisabled", data: { userId, reason } }], endedSessions };
  });

export const enableUser = (deps: AuthDeps, userId: string, reason: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (_tx, user) => {
    if (user.email === ERASED) throw new AppError("account_erased", "An erased account cannot be enabled");
    return { events: user.status === "active" ? [] : [{ type: "UserEnabled", data: { userId, reason } }] };
  });

/**
 * Erasure (crypto-shredding): the account is closed like a disable (sessions
 * and keys end) and the person's data key is deleted in the same transaction
 * as the `UserErased` event, so the event and the erasure commit together.
 */
export const eraseUser = (deps: AuthDeps, userId: string, reason: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (tx, user) => {
    if (user.email === ERASED) return { events: [] };
    await lastAdminGuard(tx, user, "erase this account");
    const sessions = await openSessions(tx, userId, deps.clock.now());
    const endedSessions = await revokeSessionsIn(tx, deps, sessions, "account_disabled", meta);
    await revokeAllApiKeysIn(tx, deps, userId, "account_disabled", meta);
    await deps.store.forget(tx, userStream(userId));
    return { events: [{ type: "UserErased", data: { userId, reason } }], endedSessions };
  });

/**
 * Lifts a lock and clears the failure count; with neither to clear, a no-op.
 * Both admin routes that unlock (`/admin/users/{id}/unlock` and
 * `/security/lockouts/{userId}/clear`) come here.
 */
export const unlockUser = (deps: AuthDeps, userId: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (_tx, user) => ({
    events: hasLockoutState(user, deps.clock.now())
      ? [{ type: "AccountUnlocked", data: { userId, reason: "admin" } }]
      : [],
  }));

/** Something for an unlock to clear: a running lock, or failures counted toward one. */
export const hasLockoutState = (user: UserState, now: Date) => isLocked(user, now) || user.failedLogins > 0;

export const revokeUserSessions = (deps: AuthDeps, userId: string, meta: EventMetadata) =>
  onUser(deps, userId, meta, async (tx) => {
    const sessions = await openSessions(tx, userId, deps.clock.now());
    return { events: [], endedSessions: await revokeSessionsIn(tx, deps, sessions, "admin", meta) };
  });
