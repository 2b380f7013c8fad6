import { describe, expect, it } from "vitest";
import { ROLE_NAMES } from "../../events/catalog/admin.ts";
import {
  can,
  grantableScopes,
  hasPermission,
  PERMISSIONS,
  type Permission,
  ROLES,
  SCOPE_PERMISSIONS,
  scopesHeldBy,
} from "./permissions.ts";
import { permissionOf, ROUTE_TABLE } from "./route-table.ts";

describe("permission matrix", () => {
  it("grants each permission exactly to the roles the matrix lists", () => {
    for (const [permission, allowed] of Object.entries(PERMISSIONS) as [Permission, readonly string[]][]) {
      for (const role of ROLES) expect(hasPermission([role], permission)).toBe(allowed.includes(role));
    }
  });

  it("grants nothing to no roles or unknown roles", () => {
    expect(hasPermission([], "self:read")).toBe(false);
    expect(hasPermission(["root"], "security:read")).toBe(false);
  });

  it("keeps security and admin permissions with admins only, and viewers read-only", () => {
    expect(PERMISSIONS["security:read"]).toEqual(["admin"]);
    expect(PERMISSIONS["admin:users:write"]).toEqual(["admin"]);
    const viewerCan = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => hasPermission(["viewer"], p));
    expect(viewerCan).toEqual([
      "self:read",
      "account:security",
      "custody:read",
      "governance:read",
      "console:read",
    ]);
    expect(viewerCan.every((p) => p.endsWith(":read") || p === "account:security")).toBe(true);
  });

  it("names the same roles as the event catalogue", () => {
    expect([...ROLES]).toEqual([...ROLE_NAMES]);
  });
});

describe("API key scopes", () => {
  it("reach only the permissions of their scope, and never more than the owner's roles", () => {
    const key = (scopes: string[]) => ({ roles: ["admin"], apiKey: { id: "k", scopes } });
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      for (const scope of Object.keys(SCOPE_PERMISSIONS) as (keyof typeof SCOPE_PERMISSIONS)[]) {
        const viaScope = (SCOPE_PERMISSIONS[scope] as readonly string[]).includes(permission);
        expect(can(key([scope]), permission)).toBe(viaScope);
        // The same key of a plain user: the intersection with the owner's roles.
        expect(can({ roles: ["user"], apiKey: { id: "k", scopes: [scope] } }, permission)).toBe(
          viaScope && hasPermission(["user"], permission),
        );
      }
    }
    expect(can(key([]), "self:read")).toBe(false);
  });

  it("lets an owner grant only the scopes its roles hold, and a key only its own", () => {
    expect(scopesHeldBy(["admin"])).toEqual(["read", "write", "admin"]);
    expect(scopesHeldBy(["user"])).toEqual(["read", "write"]);
    expect(scopesHeldBy(["viewer"])).toEqual(["read"]);
    expect(grantableScopes({ roles: ["admin"], apiKey: { id: "k", scopes: ["read", "write"] } })).toEqual([
      "read",
      "write",
    ]);
  });
});

describe("route table", () => {
  it("lists each route once, with a permission of the matrix", () => {
    const keys = ROUTE_TABLE.map(([m, p]) => `${m} ${p}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [m, p, permission] of ROUTE_TABLE) {
      expect(PERMISSIONS[permission]).toBeDefined();
      expect(permissionOf(`${m} ${p}` as Parameters<typeof permissionOf>[0])).toBe(permission);
    }
  });
});
