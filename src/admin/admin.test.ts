/** The admin API through app.request() on PGlite: search, view, roles, disable, unlock, sessions, resets, MFA rule. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allProjections } from "../../projections/index.ts";
import { verifyProjections } from "../../projections/rebuild.ts";
import {
  type AccessHarness,
  accessHarness,
  enableTotpFor,
  loginWithTotp,
  type TestUser,
  userWithRoles,
} from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";

let h: AccessHarness;
let admin: TestUser;
let ada: TestUser;
let as: Record<string, string>;
beforeEach(async () => {
  h = await accessHarness();
  const first = await userWithRoles(h, "root@example.com", ["user", "admin"]);
  const { secret } = await enableTotpFor(h, first);
  h.clock.advance(30);
  admin = { ...first, ...(await loginWithTotp(h, "root@example.com", secret)), userId: first.userId };
  as = h.api.bearer(admin.token);
  ada = await userWithRoles(h, "ada@example.com");
});
afterEach(() => h.close());

const post = (path: string, body: unknown, headers = as) => h.api.call("POST", path, body, headers);
const u = (user: TestUser, rest = "") => `/v1/admin/users/${user.userId}${rest}`;

describe("two-factor for admins", () => {
  it("answers 403 mfa_required to an admin without two-factor, unless ADMIN_REQUIRE_MFA=false", async () => {
    const plain = await userWithRoles(h, "plain-admin@example.com", ["admin"]);
    const res = await h.api.call("GET", "/v1/admin/users", undefined, h.api.bearer(plain.token));
    expect(res.status).toBe(403);
    expect(res.body!.code).toBe("mfa_required");
    // The same holds for the admin's API keys.
    const key = await post("/v1/api-keys", { name: "adm", scopes: ["admin"] }, h.api.bearer(plain.token));
    expect(
      (await h.api.call("GET", "/v1/admin/users", undefined, { "X-API-Key": key.body!.key })).body!.code,
    ).toBe("mfa_required");

    const relaxed = await accessHarness({ env: { ADMIN_REQUIRE_MFA: "false" } });
    try {
      const a = await userWithRoles(relaxed, "a@example.com", ["admin"]);
      expect(
        (await relaxed.api.call("GET", "/v1/admin/users", undefined, relaxed.api.bearer(a.token))).status,
      ).toBe(200);
    } finally {
      await relaxed.close();
    }
  });

  it("idles admin sessions out after 15 minutes (others after 30)", async () => {
    h.clock.advance(16 * 60);
    const res = await h.api.refresh(admin.refreshToken);
    expect(res.status).toBe(401);
    expect(res.body!.code).toBe("invalid_refresh_token");
    expect((await h.api.refresh(ada.refreshToken)).status).toBe(200);
  });
});

describe("search and view", () => {
  it("filters by email prefix, role and status, with cursor pagination", async () => {
    for (const n of ["ann", "anna", "anton", "bob"]) await h.api.register(`${n}@example.com`, PASSWORD);
    const page1 = await h.api.call("GET", "/v1/admin/users?email=AN&limit=2", undefined, as);
    expect(page1.status).toBe(200);
    expect(page1.body!.users.map((x: { email: string }) => x.email)).toEqual([
      "ann@example.com",
      "anna@example.com",
    ]);
    const page2 = await h.api.call(
      "GET",
      `/v1/admin/users?email=an&limit=2&cursor=${page1.body!.nextCursor}`,
      undefined,
      as,
    );
    expect(page2.body!.users.map((x: { email: string }) => x.email)).toEqual(["anton@example.com"]);
    expect(page2.body!.nextCursor).toBeNull();
    const admins = await h.api.call("GET", "/v1/admin/users?role=admin", undefined, as);
    expect(admins.body!.users).toEqual([
      expect.objectContaining({ email: "root@example.com", mfaEnabled: true }),
    ]);
    // LIKE wildcards in the prefix are literal.
    expect((await h.api.call("GET", "/v1/admin/users?email=%25", undefined, as)).body!.users).toEqual([]);
    expect((await h.api.call("GET", "/v1/admin/users?cursor=garbage", undefined, as)).status).toBe(400);
  });

  it("shows one user with roles, lockout, two-factor, sessions and keys; 404 for none", async () => {
    await post("/v1/api-keys", { name: "ci", scopes: ["read"] }, h.api.bearer(ada.token));
    const res = await h.api.call("GET", u(ada), undefined, as);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      email: "ada@example.com",
      roles: ["user"],
      status: "active",
      lockout: { locked: false, failedLogins: 0 },
      mfa: { totpEnabled: false, backupCodesRemaining: 0 },
      sessions: [expect.objectContaining({ id: expect.any(String) })],
      apiKeys: [expect.objectContaining({ name: "ci" })],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash/i);
    expect(
      (await h.api.call("GET", "/v1/admin/users/00000000-0000-4000-8000-000000000000", undefined, as)).status,
    ).toBe(404);
  });
});

describe("roles", () => {
  it("grants and revokes with a reason, effective on the user's next request", async () => {
    const ada$ = h.api.bearer(ada.token);
    expect((await h.api.call("GET", "/v1/admin/users", undefined, ada$)).status).toBe(403);
    expect((await post(u(ada, "/roles/grant"), { role: "viewer" })).status).toBe(400); // reason required
    const granted = await post(u(ada, "/roles/grant"), { role: "stakeholder", reason: "joins the council" });
    expect(granted.body!.roles).toEqual(["user", "stakeholder"]);
    const e = (await h.events()).at(-1)!;
    expect(e).toMatchObject({
      type: "UserRoleGranted",
      data: { userId: ada.userId, role: "stakeholder", reason: "joins the council" },
      metadata: { actor: `user:${admin.userId}`, reason: "joins the council" },
    });
    // A viewer is read-only: revoking `user` leaves ada unable to write, with the same token.
    await post(u(ada, "/roles/grant"), { role: "viewer", reason: "audit only" });
    await post(u(ada, "/roles/revoke"), { role: "user", reason: "audit only" });
    await post(u(ada, "/roles/revoke"), { role: "stakeholder", reason: "audit only" });
    const write = await post("/v1/api-keys", { name: "x", scopes: ["read"] }, ada$);
    expect(write.status).toBe(403);
    expect((await h.api.call("GET", "/v1/api-keys", undefined, ada$)).status).toBe(200);
  });

  it("refuses a user granting itself a role, and keeps the last admin", async () => {
    const self = await post(
      `/v1/admin/users/${ada.userId}/roles/grant`,
      { role: "admin", reason: "me" },
      h.api.bearer(ada.token),
    );
    expect(self.status).toBe(403);
    expect(self.body!.code).toBe("forbidden");

    const last = await post(u(admin, "/roles/revoke"), { role: "admin", reason: "stepping down" });
    expect(last.status).toBe(409);
    expect(last.body!.code).toBe("last_admin");
    expect((await post(u(admin, "/disable"), { reason: "oops" })).body!.code).toBe("last_admin");
    // With a second admin, stepping down works.
    await post(u(ada, "/roles/grant"), { role: "admin", reason: "deputy" });
    expect((await post(u(admin, "/roles/revoke"), { role: "admin", reason: "stepping down" })).status).toBe(
      200,
    );
    expect((await h.api.call("GET", "/v1/admin/users", undefined, as)).status).toBe(403);
  });
});

describe("account actions", () => {
  it("disable revokes every session and key at once; enable lets the user log in again", async () => {
    const key = (await post("/v1/api-keys", { name: "ci", scopes: ["read"] }, h.api.bearer(ada.token))).body!
      .key;
    const res = await post(u(ada, "/disable"), { reason: "compromised laptop" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "disabled", sessions: [] });
    expect((await h.api.me(ada.token)).body!.code).toBe("session_revoked");
    expect((await h.api.call("GET", "/v1/api-keys", undefined, { "X-API-Key": key })).body!.code).toBe(
      "api_key_revoked",
    );
    expect((await h.api.refresh(ada.refreshToken)).status).toBe(401);
    expect((await h.api.login("ada@example.com", PASSWORD)).body!.code).toBe("account_disabled");
    const types = (await h.events())
      .filter((e) => ["SessionRevoked", "ApiKeyRevoked", "UserDisabled"].includes(e.type))
      .map((e) => [e.type, (e.data as { reason?: string }).reason]);
    expect(types).toEqual([
      ["SessionRevoked", "account_disabled"],
      ["ApiKeyRevoked", "account_disabled"],
      ["UserDisabled", "compromised laptop"],
    ]);

    expect((await post(u(ada, "/enable"), { reason: "laptop wiped" })).body!.status).toBe("active");
    expect((await h.api.login("ada@example.com", PASSWORD)).status).toBe(200);
    // Revoked keys stay revoked.
    expect((await h.api.call("GET", "/v1/api-keys", undefined, { "X-API-Key": key })).status).toBe(401);
  });

  it("unlocks a locked account and revokes a user's sessions", async () => {
    for (let i = 0; i < 5; i++) await h.api.login("ada@example.com", "wrong-password-guess");
    expect((await h.api.login("ada@example.com", PASSWORD)).status).toBe(423);
    const unlocked = await post(u(ada, "/unlock"), { reason: "verified by phone" });
    expect(unlocked.body!.lockout).toEqual({ locked: false, lockedUntil: null, failedLogins: 0 });
    expect((await h.events()).at(-1)).toMatchObject({ type: "AccountUnlocked", data: { reason: "admin" } });
    const again = await h.api.login("ada@example.com", PASSWORD);
    expect(again.status).toBe(200);

    const revoked = await post(u(ada, "/sessions/revoke"), { reason: "suspicious activity" });
    expect(revoked.body!.sessions).toEqual([]);
    expect((await h.api.me(again.body!.accessToken)).body!.code).toBe("session_revoked");
    const last = (await h.events()).at(-1)!;
    expect(last).toMatchObject({
      type: "SessionRevoked",
      data: { reason: "admin" },
      metadata: { reason: "suspicious activity" },
    });
  });

  it("requires a password reset: the link goes by email, not to the admin", async () => {
    const res = await post(u(ada, "/password-reset"), { reason: "credential leak" });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body!)).toEqual(["expiresAt"]);
    const mail = await h.mail();
    expect(mail.map((m) => m.to)).toContain("ada@example.com");
  });

  it("leaves projections that rebuild identically from the log", async () => {
    await post("/v1/api-keys", { name: "ci", scopes: ["read"] }, h.api.bearer(ada.token));
    await post(u(ada, "/roles/grant"), { role: "guardian", reason: "vault 7" });
    await post(u(ada, "/disable"), { reason: "test" });
    const diffs = await verifyProjections({ db: h.db, store: h.deps.store }, allProjections);
    expect(diffs).toEqual([]);
  });
});
