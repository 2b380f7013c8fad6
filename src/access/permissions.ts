/**
 * The permission matrix: which roles hold which permission, and which API-key
 * scopes reach which permission. Routes declare the permission they need with
 * `requirePermission` (the route table in route-table.ts lists them all);
 * nothing else in Vigil compares role names. Resource-level rules (a user only
 * their own keys) go through `ownedBy` below, so they live here too.
 *
 * What a request may do = the caller's roles (read fresh from the users
 * projection, src/access/principals.ts) ∩, for an API key, its scopes. Both are
 * evaluated per request, so a demoted owner's keys shrink at once.
 */
import type { MiddlewareHandler } from "hono";
import { API_KEY_SCOPES } from "../../events/catalog/api-keys.ts";
import { declareAnswers } from "../http/answers.ts";
import type { AppEnv, AuthContext } from "../http/env.ts";
import { AppError } from "../http/errors.ts";

export const ROLES = ["user", "viewer", "stakeholder", "guardian", "auditor", "admin"] as const;
export type Role = (typeof ROLES)[number];

const everyone = ["user", "viewer", "stakeholder", "guardian", "auditor", "admin"] as const;

/** permission -> the roles that hold it. */
export const PERMISSIONS = {
  /** Read your own things (your API keys). */
  "self:read": everyone,
  /** Change your own things (create and revoke your API keys). A viewer is read-only. */
  "self:write": ["user", "stakeholder", "guardian", "admin"],
  /** Your own sign-in security (two-factor): every role, even read-only ones, may protect its account. */
  "account:security": everyone,
  "security:read": ["admin"],
  "security:write": ["admin"],
  "admin:users:read": ["admin"],
  "admin:users:write": ["admin"],
  /** Custody: read the vaults you guard (admins and viewers read all; canAccessVault narrows guardians). */
  "custody:read": ["viewer", "guardian", "admin"],
  /** Custody: redeem invitations, run the DKG, propose and sign transactions as a guardian. */
  "custody:sign": ["user", "stakeholder", "guardian", "admin"],
  /** Custody: create, freeze and archive vaults, invite and remove guardians, import keys. */
  "custody:admin": ["admin"],
  /** Governance: read proposals, votes and tallies. */
  "governance:read": everyone,
  /** Governance: create proposals and vote. */
  "governance:vote": ["stakeholder", "admin"],
  /** Governance: veto or approve a queued proposal during its timelock. */
  "governance:intervene": ["guardian"],
  /** Governance: assign voting power, cancel any proposal, execute. */
  "governance:admin": ["admin"],
  /** Wallets: link, list and unlink your own wallets. */
  "wallets:self": ["user", "stakeholder", "guardian", "admin"],
  /** Audit: the ledger, checkpoints, proofs, event history and stream state. */
  "audit:read": ["auditor", "admin"],
  /** Audit: compliance exports. */
  "audit:export": ["auditor", "admin"],
  /** The security console's read-only pages (src/console): actions there need the API's own permissions. */
  "console:read": ["viewer", "auditor", "admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export type Scope = (typeof API_KEY_SCOPES)[number];
export const SCOPES = API_KEY_SCOPES;

/**
 * scope -> the permissions an API key with it may use. Session-bound actions
 * (`account:security`: two-factor, which needs a fresh login) have no scope:
 * no key reaches them.
 */
export const SCOPE_PERMISSIONS = {
  read: ["self:read"],
  write: ["self:write"],
  admin: ["admin:users:read", "admin:users:write", "security:read", "security:write"],
} as const satisfies Record<Scope, readonly Permission[]>;

/** Permissions for which an admin must have two-factor enabled (ADMIN_REQUIRE_MFA). */
export const SECOND_FACTOR_PERMISSIONS: ReadonlySet<Permission> = new Set([
  "security:read",
  "security:write",
  "admin:users:read",
  "admin:users:write",
  "custody:admin",
  "governance:admin",
]);

export function hasPermission(roles: readonly string[], permission: Permission): boolean {
  const allowed: readonly string[] = PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}

export function scopesAllow(scopes: readonly string[], permission: Permission): boolean {
  return scopes.some((s) =>
    (SCOPE_PERMISSIONS[s as Scope] as readonly string[] | undefined)?.includes(permission),
  );
}

/** The caller's roles, and for an API key also its scopes. */
export function can(auth: Pick<AuthContext, "roles" | "apiKey">, permission: Permission): boolean {
  if (!hasPermission(auth.roles, permission)) return false;
  return auth.apiKey ? scopesAllow(auth.apiKey.scopes, permission) : true;
}

/** The scopes whose every permission these roles hold: what a key of theirs may carry. */
export function scopesHeldBy(roles: readonly string[]): Scope[] {
  return SCOPES.filter((s) => SCOPE_PERMISSIONS[s].every((p) => hasPermission(roles, p)));
}

/** Scopes a caller may put on a new key: those its roles hold, and if it is a key, only its own. */
export function grantableScopes(auth: Pick<AuthContext, "roles" | "apiKey">): Scope[] {
  const held = scopesHeldBy(auth.roles);
  return auth.apiKey ? held.filter((s) => auth.apiKey!.scopes.includes(s)) : held;
}

/** Mount after `requireAuth`: 403 `forbidden` unless the caller holds the permission. */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  // /openapi.json declares the 403 from this tag (src/http/openapi.ts).
  return declareAnswers<MiddlewareHandler<AppEnv>>(
    async (c, next) => {
      const auth = c.get("auth") as AuthContext | undefined;
      if (!auth) throw new AppError("unauthorized", "Authentication is required");
      if (!can(auth, permission)) {
        throw new AppError("forbidden", `This needs the ${permission} permission`);
      }
      if (SECOND_FACTOR_PERMISSIONS.has(permission) && auth.needsSecondFactor) {
        throw new AppError("mfa_required", "Enable two-factor authentication before using admin endpoints");
      }
      await next();
    },
    { statuses: [403] },
  );
}

/**
 * A resource of the caller's own, or 404: someone else's resource is
 * indistinguishable from one that does not exist.
 */
export function ownedBy<T extends { userId: string }>(
  auth: Pick<AuthContext, "userId">,
  resource: T | null,
  what: string,
): T {
  if (!resource || resource.userId !== auth.userId) throw new AppError("not_found", `No such ${what}`);
  return resource;
}
