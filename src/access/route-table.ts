/**
 * Every permission-guarded route, in one place: [method, path, permission].
 * Routers take their permission from here (`guard`), and the matrix tests
 * are generated from it (every route × every role), so the table, the routes
 * and the tests cannot drift apart.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/env.ts";
import { type Permission, requirePermission } from "./permissions.ts";

export const ROUTE_TABLE = [
  ["POST", "/v1/api-keys", "self:write"],
  ["GET", "/v1/api-keys", "self:read"],
  ["DELETE", "/v1/api-keys/{id}", "self:write"],
  ["POST", "/v1/mfa/totp/setup", "account:security"],
  ["POST", "/v1/mfa/totp/enable", "account:security"],
  ["POST", "/v1/mfa/totp/disable", "account:security"],
  ["POST", "/v1/mfa/backup-codes/regenerate", "account:security"],
  ["GET", "/v1/admin/users", "admin:users:read"],
  ["GET", "/v1/admin/users/{id}", "admin:users:read"],
  ["POST", "/v1/admin/users/{id}/roles/grant", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/roles/revoke", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/disable", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/enable", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/unlock", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/sessions/revoke", "admin:users:write"],
  ["POST", "/v1/admin/users/{id}/password-reset", "admin:users:write"],
  ["GET", "/v1/admin/bans", "security:read"],
  ["DELETE", "/v1/admin/bans/{ip}", "security:write"],
  ["GET", "/v1/security/events", "security:read"],
  ["GET", "/v1/security/metrics", "security:read"],
  ["GET", "/v1/security/alerts", "security:read"],
  ["GET", "/v1/security/alerts/{id}", "security:read"],
  ["POST", "/v1/security/alerts/{id}/acknowledge", "security:write"],
  ["POST", "/v1/security/alerts/{id}/resolve", "security:write"],
  ["GET", "/v1/security/lockouts", "security:read"],
  ["POST", "/v1/security/lockouts/{userId}/clear", "security:write"],
  ["GET", "/v1/audit/checkpoints/latest", "audit:read"],
  ["GET", "/v1/audit/checkpoints", "audit:read"],
  ["GET", "/v1/audit/checkpoint-keys", "audit:read"],
  ["GET", "/v1/audit/proofs/inclusion", "audit:read"],
  ["GET", "/v1/audit/proofs/consistency", "audit:read"],
  ["GET", "/v1/audit/events", "audit:read"],
  ["GET", "/v1/audit/streams/{streamId}", "audit:read"],
  ["GET", "/v1/audit/streams/{streamId}/state", "audit:read"],
  ["POST", "/v1/audit/exports", "audit:export"],
  ["GET", "/v1/audit/exports/{id}", "audit:export"],
  ["GET", "/v1/audit/exports/{id}/bundle", "audit:export"],
] as const satisfies readonly (readonly [string, string, Permission])[];

export type GuardedRoute = `${(typeof ROUTE_TABLE)[number][0]} ${(typeof ROUTE_TABLE)[number][1]}`;

export function permissionOf(route: GuardedRoute): Permission {
  const hit = ROUTE_TABLE.find(([m, p]) => `${m} ${p}` === route);
  if (!hit) throw new Error(`${route} is not in the route table`);
  return hit[2];
}

/** requirePermission with the permission the route table gives the route. */
export const guard = (route: GuardedRoute): MiddlewareHandler<AppEnv> =>
  requirePermission(permissionOf(route));
