import { describe, expect, it } from "vitest";
import { hasPermission, PERMISSIONS, type Permission, ROLES } from "./permissions.ts";

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

  it("keeps security and admin permissions with admins only", () => {
    expect(PERMISSIONS["security:read"]).toEqual(["admin"]);
    expect(PERMISSIONS["admin:users:write"]).toEqual(["admin"]);
  });
});
