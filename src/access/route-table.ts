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
  ["POST", "/v1/admin/users/{id}/erase", "admin:users:write"],
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
  ["POST", "/v1/custody/vaults", "custody:admin"],
  ["GET", "/v1/custody/vaults", "custody:read"],
  ["GET", "/v1/custody/vaults/{id}", "custody:read"],
  ["POST", "/v1/custody/vaults/{id}/invitations", "custody:admin"],
  ["POST", "/v1/custody/invitations/redeem", "custody:sign"],
  ["DELETE", "/v1/custody/vaults/{id}/guardians/{userId}", "custody:admin"],
  ["POST", "/v1/custody/vaults/{id}/dkg/{round}", "custody:sign"],
  ["GET", "/v1/custody/vaults/{id}/dkg", "custody:read"],
  ["POST", "/v1/custody/vaults/{id}/key", "custody:admin"],
  ["POST", "/v1/custody/vaults/{id}/freeze", "custody:admin"],
  ["POST", "/v1/custody/vaults/{id}/unfreeze", "custody:admin"],
  ["POST", "/v1/custody/vaults/{id}/archive", "custody:admin"],
  ["POST", "/v1/custody/vaults/{id}/transactions", "custody:sign"],
  ["GET", "/v1/custody/transactions/{id}", "custody:read"],
  ["POST", "/v1/custody/transactions/{id}/commitments", "custody:sign"],
  ["POST", "/v1/custody/transactions/{id}/shares", "custody:sign"],
  ["POST", "/v1/custody/transactions/{id}/cancel", "custody:sign"],
  ["POST", "/v1/wallets/challenge", "wallets:self"],
  ["POST", "/v1/wallets", "wallets:self"],
  ["GET", "/v1/wallets", "wallets:self"],
  ["DELETE", "/v1/wallets/{id}", "wallets:self"],
  ["PUT", "/v1/governance/power/{userId}", "governance:admin"],
  ["GET", "/v1/governance/power/{userId}", "governance:read"],
  ["POST", "/v1/governance/proposals", "governance:vote"],
  ["GET", "/v1/governance/proposals", "governance:read"],
  ["GET", "/v1/governance/proposals/{id}", "governance:read"],
  ["POST", "/v1/governance/proposals/{id}/cancel", "governance:vote"],
  ["POST", "/v1/governance/proposals/{id}/veto", "governance:intervene"],
  ["POST", "/v1/governance/proposals/{id}/approve", "governance:intervene"],
  ["POST", "/v1/governance/proposals/{id}/execute", "governance:admin"],
  ["GET", "/v1/governance/proposals/{id}/ballot", "governance:vote"],
  ["POST", "/v1/governance/proposals/{id}/votes", "governance:vote"],
  ["GET", "/v1/governance/proposals/{id}/votes", "governance:read"],
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
