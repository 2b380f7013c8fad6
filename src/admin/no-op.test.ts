/**
 * The no-op rule for admin and security actions: an action that would change
 * nothing answers 200 with the current state and `changed: false`, and appends
 * nothing; the same action that does change something answers `changed: true`.
 * One case per action (alerts and bans: src/security/alerts, src/security/bans).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";

let h: AccessHarness;
let admin: TestUser;
let ada: TestUser;

beforeAll(async () => {
  h = await accessHarness({ env: { ADMIN_REQUIRE_MFA: "false", RATE_LIMITS_ENABLED: "false" } });
  admin = await userWithRoles(h, "root@example.com", ["user", "admin"]);
  ada = await userWithRoles(h, "ada@example.com");
}, 180_000);
afterAll(() => h.close());

const post = (path: string, body: unknown = { reason: "ticket SEC-7" }) =>
  h.api.call("POST", path, body, h.api.bearer(admin.token));
const u = (rest: string) => `/v1/admin/users/${ada.userId}${rest}`;
const logLength = async () => (await h.events()).length;

/** Runs the action twice: the first changes something, the second is the no-op. */
async function twice(path: string, body?: unknown) {
  const first = await post(path, body);
  expect(first.status).toBe(200);
  expect(first.body!.changed).toBe(true);
  const before = await logLength();
  const second = await post(path, body);
  expect(second.status).toBe(200);
  expect(second.body!.changed).toBe(false);
  expect(await logLength()).toBe(before);
  return { first: first.body!, second: second.body! };
}

describe("admin actions that change nothing answer 200, changed: false, and append nothing", () => {
  it("grant a role already held, revoke a role not held", async () => {
    const grant = await twice(u("/roles/grant"), { role: "viewer", reason: "audit" });
    expect(grant.second.roles).toContain("viewer");
    const revoke = await twice(u("/roles/revoke"), { role: "viewer", reason: "done" });
    expect(revoke.second.roles).not.toContain("viewer");
  });

  it("disable a disabled account, enable an active one", async () => {
    const disable = await twice(u("/disable"));
    expect(disable.second.status).toBe("disabled");
    const enable = await twice(u("/enable"));
    expect(enable.second.status).toBe("active");
  });

  it("unlock an account with nothing to unlock (before: AccountUnlocked appended every time)", async () => {
    const before = await logLength();
    const idle = await post(u("/unlock"));
    expect(idle.status).toBe(200);
    expect(idle.body).toMatchObject({ changed: false, lockout: { locked: false, failedLogins: 0 } });
    expect(await logLength()).toBe(before);

    for (let i = 0; i < 5; i++) await h.api.login(ada.email, "wrong-password-guess");
    const unlock = await twice(u("/unlock"));
    expect(unlock.second.lockout).toEqual({ locked: false, lockedUntil: null, failedLogins: 0 });
  });

  it("the lockouts route follows the same rule as the unlock route (before: 409 there, 200 here)", async () => {
    for (let i = 0; i < 5; i++) await h.api.login(ada.email, "wrong-password-guess");
    const clear = await twice(`/v1/security/lockouts/${ada.userId}/clear`, { reason: "phone check" });
    expect(clear.second).toEqual({
      userId: ada.userId,
      locked: false,
      lockedUntil: null,
      failedLogins: 0,
      changed: false,
    });
    // Failures counted toward a lock are something to clear, too.
    await h.api.login(ada.email, "wrong-password-guess");
    expect((await post(u("/unlock"))).body).toMatchObject({ changed: true, lockout: { failedLogins: 0 } });
  });

  it("revoke the sessions of a user who has none open", async () => {
    const login = await h.api.login(ada.email, PASSWORD);
    expect(login.status).toBe(200);
    const revoke = await twice(u("/sessions/revoke"));
    expect(revoke.second.sessions).toEqual([]);
  });
});
