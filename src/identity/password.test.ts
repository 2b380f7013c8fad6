/** POST /v1/auth/password/forgot, /reset and /change over app.request. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { memoryLimiter } from "../security/ratelimit/index.ts";
import { identityFeature } from "./feature.ts";
import {
  client,
  type IdentityHarness,
  identityHarness,
  knownVsUnknownMedians,
  linkIn,
  PASSWORD,
} from "./testing.ts";

const NEW_PASSWORD = "lantern-orchard-basalt-77";
let h: IdentityHarness;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  h = await identityHarness();
  api = client(h.app);
  await api.register("ada@example.com", PASSWORD);
});
afterEach(() => h.close());

type Pair = { accessToken: string; refreshToken: string; sessionId: string };
const login = async (password = PASSWORD) => (await api.login("ada@example.com", password)).body as Pair;
const forgot = (email: string) => api.call("POST", "/v1/auth/password/forgot", { email });
const reset = (token: string, newPassword = NEW_PASSWORD) =>
  api.call("POST", "/v1/auth/password/reset", { token, newPassword });
const change = (access: string, currentPassword: string, newPassword = NEW_PASSWORD) =>
  api.call("POST", "/v1/auth/password/change", { currentPassword, newPassword }, api.bearer(access));
async function resetToken(): Promise<string> {
  expect((await forgot("ada@example.com")).status).toBe(202);
  return linkIn((await h.mail()).filter((m) => m.subject === "Reset your Vigil password").at(-1)).token;
}
async function expectDead(p: Pair) {
  expect((await api.me(p.accessToken)).body).toMatchObject({ status: 401, code: "session_revoked" });
  expect((await api.refresh(p.refreshToken)).status).toBe(401);
}

describe("POST /v1/auth/password/forgot", () => {
  it("answers an unknown address exactly like a known one, and mails only the owner", async () => {
    const known = await forgot("ada@example.com");
    const unknown = await forgot("nobody@example.com");
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    expect([...unknown.headers.keys()].sort()).toEqual([...known.headers.keys()].sort());
    const mail = (await h.mail()).filter((m) => m.subject === "Reset your Vigil password");
    expect(mail.map((m) => m.to)).toEqual(["ada@example.com"]);
    expect(linkIn(mail[0]).url).toMatch(/^http:\/\/localhost:3000\/reset-password\?token=[\w-]{43}$/);
    const ignored = (await h.events()).find((e) => e.type === "PasswordResetRequestIgnored")!;
    expect(ignored.streamId).toMatch(/^reset-unknown-[0-9a-f]$/);
    expect(JSON.stringify(ignored)).not.toContain("nobody@example.com");
  });

  it("takes about as long for an unknown address as for a known one", async () => {
    const { known: k, unknown: u } = await knownVsUnknownMedians(forgot, "ada@example.com");
    // Generous: the same work on both paths; PGlite runs the known path's projections inline.
    expect(u).toBeGreaterThan(k * 0.3 - 2);
    expect(u).toBeLessThan(k * 3 + 10);
  });

  it("is limited to 3 per hour per account, the same for unknown addresses", async () => {
    const limited = client(createApp({ ...h.deps, rateLimiter: memoryLimiter() }, [identityFeature]));
    for (const email of ["ada@example.com", "nobody@example.com"]) {
      const codes = [];
      for (let i = 0; i < 4; i++)
        codes.push((await limited.call("POST", "/v1/auth/password/forgot", { email })).status);
      expect(codes).toEqual([202, 202, 202, 429]);
    }
  });
});

describe("POST /v1/auth/password/reset", () => {
  it("sets the password, revokes every session at once, and works once", async () => {
    const a = await login();
    const b = await login();
    const token = await resetToken();
    const res = await reset(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "password_reset" });
    await expectDead(a);
    await expectDead(b);
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(401);
    expect((await api.login("ada@example.com", NEW_PASSWORD)).status).toBe(200);
    expect((await reset(token, "yet-another-good-passphrase")).body).toMatchObject({ code: "invalid_token" });
    const notices = (await h.mail()).filter((m) => m.subject === "Your Vigil password was changed");
    expect(notices).toHaveLength(1);
    const revoked = (await h.events()).filter((e) => e.type === "SessionRevoked").map((e) => e.data);
    expect(revoked).toHaveLength(2);
    expect(revoked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sessionId: a.sessionId, reason: "password_reset" }),
        expect.objectContaining({ sessionId: b.sessionId, reason: "password_reset" }),
      ]),
    );
  });

  it("lifts a lockout (AccountUnlocked, reason password_reset)", async () => {
    for (let i = 0; i < 5; i++) await api.login("ada@example.com", "wrong-password-guess");
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(423);
    expect((await reset(await resetToken())).status).toBe(200);
    expect((await api.login("ada@example.com", NEW_PASSWORD)).status).toBe(200);
    const unlocked = (await h.events()).find((e) => e.type === "AccountUnlocked");
    expect(unlocked!.data).toMatchObject({ reason: "password_reset" });
  });

  it("refuses an expired token (1 h on the injected clock), a superseded one and garbage alike", async () => {
    const first = await resetToken();
    const second = await resetToken();
    const bodies = [];
    for (const t of [first, "garbage", "B".repeat(43)]) {
      const res = await reset(t);
      expect(res.status).toBe(400);
      bodies.push({ ...res.body, requestId: null });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    h.clock.advance(3600);
    expect((await reset(second)).body).toMatchObject({ code: "invalid_token" });
  });

  it("applies the password policy and leaves the token usable", async () => {
    const token = await resetToken();
    const weak = await reset(token, "password1234");
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: "password_policy" });
    expect(weak.body!.errors[0].path).toBe("body.newPassword");
    expect((await reset(token)).status).toBe(200);
  });

  it("another user's token resets only its owner", async () => {
    await api.register("bob@example.com", PASSWORD);
    const bob = (await api.login("bob@example.com", PASSWORD)).body as Pair;
    expect((await reset(await resetToken())).status).toBe(200);
    expect((await api.me(bob.accessToken)).status).toBe(200);
    expect((await api.login("bob@example.com", PASSWORD)).status).toBe(200);
  });
});

describe("POST /v1/auth/password/change", () => {
  it("changes the password and kills the other sessions at once, keeping the current one", async () => {
    const other = await login();
    const current = await login();
    const res = await change(current.accessToken, PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "password_changed" });
    await expectDead(other);
    expect((await api.me(current.accessToken)).status).toBe(200);
    expect((await api.refresh(current.refreshToken)).status).toBe(200);
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(401);
    expect((await api.login("ada@example.com", NEW_PASSWORD)).status).toBe(200);
    expect((await h.mail()).some((m) => m.subject === "Your Vigil password was changed")).toBe(true);
  });

  it("cancels outstanding reset links", async () => {
    const token = await resetToken();
    const p = await login();
    expect((await change(p.accessToken, PASSWORD)).status).toBe(200);
    expect((await reset(token, "yet-another-good-passphrase")).body).toMatchObject({ code: "invalid_token" });
  });

  it("answers a wrong current password with 400 wrong_password, counting toward the lockout", async () => {
    const p = await login();
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const res = await change(p.accessToken, "wrong-password-guess");
      codes.push([res.status, res.body!.code, res.body!.remainingAttempts]);
    }
    expect(codes).toEqual([
      [400, "wrong_password", undefined], // remainingAttempts shown from 3 down
      [400, "wrong_password", 3],
      [400, "wrong_password", 2],
      [400, "wrong_password", 1],
      [423, "account_locked", undefined],
    ]);
    // Locked: even the right password cannot change it now; password login is locked too.
    expect((await change(p.accessToken, PASSWORD)).status).toBe(423);
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(423);
    expect((await h.mail()).some((m) => m.subject === "Your Vigil account was locked")).toBe(true);
  });

  it("applies the policy to the new password and needs a session", async () => {
    const p = await login();
    const weak = await change(p.accessToken, PASSWORD, "ada-example-password");
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: "password_policy" });
    expect((await change("nope", PASSWORD)).status).toBe(401);
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(200);
  });
});

describe("no secrets in the log", () => {
  it("never writes a password or an email token to events or log lines", async () => {
    const p = await login();
    const verifyToken = linkIn((await h.mail()).find((m) => m.subject.startsWith("Confirm"))).token;
    await api.call("POST", "/v1/auth/email/verify", { token: verifyToken });
    await change(p.accessToken, "wrong-current-guess");
    await change(p.accessToken, PASSWORD);
    const token = await resetToken();
    await reset(token, "final-orchard-lantern-55");
    const events = JSON.stringify(await h.events());
    const lines = h.logLines.join("\n");
    for (const secret of [
      PASSWORD,
      NEW_PASSWORD,
      "wrong-current-guess",
      "final-orchard-lantern-55",
      verifyToken,
      token,
    ]) {
      expect(events).not.toContain(secret);
      expect(lines).not.toContain(secret);
    }
  });
});
