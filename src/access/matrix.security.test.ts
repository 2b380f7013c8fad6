/**
 * Generated from the route table and the matrix: every guarded route × every
 * role answers 403 `forbidden` exactly where the matrix says the role lacks the
 * permission, and something else (400, 404, 409…: the request got past the
 * guard) where it holds it. Then the same for API keys of each scope.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasPermission, ROLES, type Role, SCOPE_PERMISSIONS, scopesAllow } from "./permissions.ts";
import { ROUTE_TABLE } from "./route-table.ts";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "./testing.ts";

let h: AccessHarness;
const users = new Map<Role, TestUser>();
const keys = new Map<string, string>();

beforeAll(async () => {
  // The two-factor requirement for admins is tested on its own (admin.test.ts).
  h = await accessHarness({ env: { ADMIN_REQUIRE_MFA: "false" } });
  for (const role of ROLES) users.set(role, await userWithRoles(h, `${role}@example.com`, [role]));
  const admin = users.get("admin")!;
  for (const scope of Object.keys(SCOPE_PERMISSIONS)) {
    const res = await h.api.call(
      "POST",
      "/v1/api-keys",
      { name: scope, scopes: [scope] },
      h.api.bearer(admin.token),
    );
    keys.set(scope, res.body!.key);
  }
});
afterAll(() => h.close());

const concrete = (path: string) => path.replace("{id}", "00000000-0000-4000-8000-000000000000");
// Enough to pass the guard; a wrong body then fails validation (400), never 403.
const BODY = { reason: "matrix test" };

describe.each(ROUTE_TABLE.map(([m, p, perm]) => ({ m, p, perm })))("$m $p ($perm)", ({ m, p, perm }) => {
  it.each([...ROLES])("role %s", async (role) => {
    const res = await h.api.call(
      m,
      concrete(p),
      m === "GET" ? undefined : BODY,
      h.api.bearer(users.get(role)!.token),
    );
    if (hasPermission([role], perm)) {
      expect(res.status, JSON.stringify(res.body)).not.toBe(403);
      expect(res.status).not.toBe(401);
    } else {
      expect(res.status).toBe(403);
      expect(res.body!.code).toBe("forbidden");
    }
  });

  it.each(Object.keys(SCOPE_PERMISSIONS))("an admin's key with scope %s", async (scope) => {
    const res = await h.api.call(m, concrete(p), m === "GET" ? undefined : BODY, {
      "X-API-Key": keys.get(scope)!,
    });
    if (perm === "account:security") {
      // Session-bound: no key reaches two-factor settings.
      expect(res.status).toBe(401);
    } else if (scopesAllow([scope], perm)) {
      expect(res.status, JSON.stringify(res.body)).not.toBe(403);
      expect(res.status).not.toBe(401);
    } else {
      expect(res.status).toBe(403);
      expect(res.body!.code).toBe("forbidden");
    }
  });
});
