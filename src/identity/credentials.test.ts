/** The email-token and password deciders, given/when/then. */
import { describe, expect, it } from "vitest";
import { decideChangePassword, decideResetPassword, decideVerifyEmail, tokenUsable } from "./credentials.ts";
import type { EmailTokenState } from "./email-token.ts";
import type { UserState } from "./user.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const later = (s: number) => new Date(NOW.getTime() + s * 1000);
const HASH =
  "$argon2id$v=19$m=512,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

const user = (over: Partial<UserState> = {}): UserState => ({
  userId: "0190aaaa-0000-7000-8000-000000000001",
  email: "ada@example.com",
  displayName: null,
  roles: ["user"],
  status: "active",
  emailVerified: false,
  passwordHash: "$argon2id$old",
  failedLogins: 0,
  lockedUntil: null,
  version: 4,
  createdAt: NOW,
  ...over,
});
const token = (over: Partial<EmailTokenState> = {}): EmailTokenState => ({
  tokenHash: "a".repeat(64),
  userId: user().userId,
  purpose: "password_reset",
  email: "ada@example.com",
  expiresAt: later(3600),
  status: "pending",
  ...over,
});
const policy = { threshold: 5, lockoutSeconds: 1800 };

describe("tokenUsable", () => {
  it("accepts a pending, unexpired token of the purpose issued to the user's address", () => {
    expect(tokenUsable(token(), "password_reset", user(), NOW)).toBe(true);
  });
  it.each([
    ["unknown", null, user()],
    ["no such user", token(), null],
    ["other purpose", token({ purpose: "verify_email" }), user()],
    ["used", token({ status: "used" }), user()],
    ["superseded", token({ status: "superseded" }), user()],
    ["cancelled by a password change", token({ status: "cancelled" }), user()],
    ["another user's", token({ userId: "0190aaaa-0000-7000-8000-000000000002" }), user()],
    ["issued to an earlier address", token({ email: "old@example.com" }), user()],
    ["expired (at the instant)", token({ expiresAt: NOW }), user()],
  ])("refuses a token that is %s", (_, t, u) => {
    expect(tokenUsable(t, "password_reset", u, NOW)).toBe(false);
  });
});

describe("decideVerifyEmail", () => {
  it("records the address and the token that proved it", () => {
    expect(decideVerifyEmail(user(), token({ purpose: "verify_email" }))).toEqual([
      {
        type: "EmailVerified",
        data: { userId: user().userId, email: "ada@example.com", tokenHash: "a".repeat(64) },
      },
    ]);
  });
});

describe("decideResetPassword", () => {
  it("replaces the hash; no unlock when the account is not locked", () => {
    const events = decideResetPassword(user({ failedLogins: 3 }), token(), HASH, NOW);
    expect(events.map((e) => e.type)).toEqual(["PasswordResetCompleted"]);
    expect(events[0]!.data).toMatchObject({ passwordHash: HASH, tokenHash: "a".repeat(64) });
  });
  it("lifts a running lock with reason password_reset", () => {
    const events = decideResetPassword(user({ lockedUntil: later(600) }), token(), HASH, NOW);
    expect(events[1]).toEqual({
      type: "AccountUnlocked",
      data: { userId: user().userId, reason: "password_reset" },
    });
  });
  it("does not unlock a lock that already ran out", () => {
    expect(decideResetPassword(user({ lockedUntil: later(-1) }), token(), HASH, NOW)).toHaveLength(1);
  });
});

describe("decideChangePassword", () => {
  it("changes the password when the current one is right", () => {
    const d = decideChangePassword(user(), { now: NOW, passwordOk: true, newPasswordHash: HASH }, policy);
    expect(d.outcome).toEqual({ kind: "changed" });
    expect(d.events).toEqual([
      {
        type: "PasswordChanged",
        data: { userId: user().userId, passwordHash: HASH, email: "ada@example.com" },
      },
    ]);
  });
  it("counts a wrong current password toward the lockout", () => {
    const d = decideChangePassword(
      user({ failedLogins: 2 }),
      { now: NOW, passwordOk: false, newPasswordHash: null },
      policy,
    );
    expect(d.outcome).toEqual({ kind: "invalid_password", remainingAttempts: 2 });
    expect(d.events.map((e) => e.data)).toEqual([{ userId: user().userId, reason: "invalid_password" }]);
  });
  it("locks at the threshold", () => {
    const d = decideChangePassword(
      user({ failedLogins: 4 }),
      { now: NOW, passwordOk: false, newPasswordHash: null },
      policy,
    );
    expect(d.outcome).toEqual({ kind: "locked", until: later(1800) });
    expect(d.events.map((e) => e.type)).toEqual(["PasswordChangeFailed", "AccountLocked"]);
  });
  it("refuses while locked, even with the right password", () => {
    const d = decideChangePassword(
      user({ lockedUntil: later(60) }),
      { now: NOW, passwordOk: true, newPasswordHash: HASH },
      policy,
    );
    expect(d.outcome).toEqual({ kind: "locked", until: later(60) });
    expect(d.events.map((e) => e.data)).toEqual([{ userId: user().userId, reason: "account_locked" }]);
  });
});
