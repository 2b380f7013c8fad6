/**
 * The permission matrix: which roles hold which permission. Routes declare the
 * permission they need with `requirePermission`; nothing else in Vigil compares
 * role names. Resource-level rules (a user only their own sessions, a guardian
 * only their own vaults) go through `canAccess` below, so they live here too.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, AuthContext } from "../http/env.ts";
import { AppError } from "../http/errors.ts";

export const ROLES = ["user", "viewer", "stakeholder", "guardian", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** permission -> the roles that hold it. */
export const PERMISSIONS = {
  "self:read": ["user", "viewer", "stakeholder", "guardian", "admin"],
  "self:write": ["user", "stakeholder", "guardian", "admin"],
  "security:read": ["admin"],
  "security:write": ["admin"],
  "admin:users:read": ["admin"],
  "admin:users:write": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function hasPermission(roles: readonly string[], permission: Permission): boolean {
  const allowed: readonly string[] = PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}

/** Mount after `requireAuth`: 403 `forbidden` unless a role of the caller holds the permission. */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get("auth") as AuthContext | undefined;
    if (!auth) throw new AppError("unauthorized", "Authentication is required");
    if (!hasPermission(auth.roles, permission)) {
      throw new AppError("forbidden", `This needs the ${permission} permission`);
    }
    await next();
  };
}
