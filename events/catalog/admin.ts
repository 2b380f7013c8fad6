/**
 * Admin and access control: roles and account status, on the user's stream
 * (`user-<uuid>`), so logins and refreshes decide on them in order. Every
 * event carries the admin's `reason` (also in the metadata, with the actor).
 * AccountUnlocked (identity) and SessionRevoked {reason: "admin"} (sessions)
 * are the admin's other actions.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

const userId = z.uuid();
/** The roles of src/access/permissions.ts (a test keeps the two lists equal). */
export const ROLE_NAMES = ["user", "viewer", "stakeholder", "guardian", "auditor", "admin"] as const;
const role = z.enum(ROLE_NAMES);
const reason = z.string().trim().min(1).max(500);

export const UserRoleGranted = defineEvent({
  type: "UserRoleGranted",
  domain: "admin",
  description: "A role was granted to the user (by an admin, or by `cli admin create` at bootstrap).",
  version: 1,
  schema: z.object({ userId, role, reason }),
});

export const UserRoleRevoked = defineEvent({
  type: "UserRoleRevoked",
  domain: "admin",
  description: "A role was taken from the user. The last admin's admin role cannot be revoked.",
  version: 1,
  schema: z.object({ userId, role, reason }),
});

export const UserDisabled = defineEvent({
  type: "UserDisabled",
  domain: "admin",
  description:
    "The account was disabled: no login, and every session and API key of the user is revoked in the same transaction.",
  version: 1,
  schema: z.object({ userId, reason }),
});

export const UserEnabled = defineEvent({
  type: "UserEnabled",
  domain: "admin",
  description: "A disabled account was enabled again (its revoked sessions and keys stay revoked).",
  version: 1,
  schema: z.object({ userId, reason }),
});

export const UserErased = defineEvent({
  type: "UserErased",
  domain: "admin",
  description:
    "The person's data key was deleted (crypto-shredding): every sealed field of theirs in the log (email, name, IP, user agent) reads `[erased]` from now on, while the log, its hashes and its proofs stay as they were. The account is disabled with it and cannot be enabled again.",
  version: 1,
  schema: z.object({ userId, reason }),
});

export const adminEvents = [UserRoleGranted, UserRoleRevoked, UserDisabled, UserEnabled, UserErased];
