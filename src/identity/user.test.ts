/** The user decider, given/when/then: registration state in, login events out. */
import { describe, expect, it } from "vitest";
import { decideLogin, decideUnknownLogin, type LoginAttempt, type UserState } from "./user.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const policy = { threshold: 5, lockoutSeconds: 1800, requireEmailVerification: false };

const given = (over: Partial<UserState> = {}): UserState => ({
  userId: "0190aaaa-0000-7000-8000-000000000001",
  email: "ada@example.com",
  displayName: null,
  roles: ["user"],
  status: "active",
  emailVerified: false,
  passwordHash:
    "$argon2id$v=19$m=512,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
  failedLogins: 0,
  lockedUntil: null,
  version: 1,
  createdAt: NOW,
  ...over,
});

const attempt = (over: Partial<LoginAttempt> = {}): LoginAttempt => ({
  now: NOW,
  passwordOk: true,
  deviceTrusted: false,
  sessionId: "5a1f0c9e-0000-4000-8000-000000000001",
  emailHash: "a".repeat(64),
  rehashed: null,
  ...over,
});

const types = (events: { type: string }[]) => events.map((e) => e.type);

describe("decideLogin", () => {
  it("given an active user, when the password matches, then LoginSucceeded with the session and email", () => {
    const { outcome, events } = decideLogin(given(), attempt(), policy);
    expect(outcome).toEqual({ kind: "success" });
    expect(events).toEqual([
      {
        type: "LoginSucceeded",
        data: {
          userId: given().userId,
          sessionId: attempt().sessionId,
          deviceTrusted: false,
          email: "ada@example.com",
        },
      },
    ]);
  });

  it("given an old hash, when the password matches, then PasswordRehashed follows the success", () => {
    const { events } = decideLogin(given(), attempt({ rehashed: "$argon2id$v=19$new" }), policy);
    expect(types(events)).toEqual(["LoginSucceeded", "PasswordRehashed"]);
    expect(events[1]!.data).toMatchObject({ passwordHash: "$argon2id$v=19$new" });
  });

  it("given 2 failures, when the password is wrong, then LoginFailed and 2 attempts remain", () => {
    const { outcome, events } = decideLogin(
      given({ failedLogins: 2 }),
      attempt({ passwordOk: false }),
      policy,
    );
    expect(outcome).toEqual({ kind: "invalid_password", remainingAttempts: 2 });
    expect(events).toEqual([
      {
        type: "LoginFailed",
        data: { userId: given().userId, emailHash: "a".repeat(64), reason: "invalid_password" },
      },
    ]);
  });

  it("given 4 failures, when the password is wrong again, then the account locks for the lockout period", () => {
    const { outcome, events } = decideLogin(
      given({ failedLogins: 4 }),
      attempt({ passwordOk: false }),
      policy,
    );
    const until = new Date(NOW.getTime() + 1800_000);
    expect(outcome).toEqual({ kind: "locked", until });
    expect(types(events)).toEqual(["LoginFailed", "AccountLocked"]);
    expect(events[1]!.data).toEqual({
      userId: given().userId,
      until: until.toISOString(),
      failures: 5,
      email: "ada@example.com",
    });
  });

  it("given a locked account, when anyone tries (even the right password), then account_locked is recorded", () => {
    const lockedUntil = new Date(NOW.getTime() + 60_000);
    const { outcome, events } = decideLogin(given({ lockedUntil }), attempt(), policy);
    expect(outcome).toEqual({ kind: "locked", until: lockedUntil });
    expect(events[0]!.data).toMatchObject({ reason: "account_locked" });
  });

  it("given a locked account, when a trusted device logs in, then the lock does not apply", () => {
    const lockedUntil = new Date(NOW.getTime() + 60_000);
    const { outcome, events } = decideLogin(given({ lockedUntil }), attempt({ deviceTrusted: true }), policy);
    expect(outcome).toEqual({ kind: "success" });
    expect(events[0]!.data).toMatchObject({ deviceTrusted: true });
  });

  it("given a lock that ran out, when the password matches, then login succeeds", () => {
    const lockedUntil = new Date(NOW.getTime() - 1);
    expect(decideLogin(given({ lockedUntil }), attempt(), policy).outcome).toEqual({ kind: "success" });
  });

  it("given a disabled user, when the password matches, then account_disabled", () => {
    const { outcome, events } = decideLogin(given({ status: "disabled" }), attempt(), policy);
    expect(outcome).toEqual({ kind: "disabled" });
    expect(events[0]!.data).toMatchObject({ reason: "account_disabled" });
  });

  it("given verification is required, when an unverified user logs in, then email_not_verified", () => {
    const strict = { ...policy, requireEmailVerification: true };
    expect(decideLogin(given(), attempt(), strict).outcome).toEqual({ kind: "email_not_verified" });
    expect(decideLogin(given({ emailVerified: true }), attempt(), strict).outcome).toEqual({
      kind: "success",
    });
  });
});

describe("decideUnknownLogin (the decoy for emails without an account)", () => {
  it("counts down and locks exactly like a real account", () => {
    const real = [0, 1, 2, 3, 4].map(
      (n) => decideLogin(given({ failedLogins: n }), attempt({ passwordOk: false }), policy).outcome,
    );
    const decoy = [0, 1, 2, 3, 4].map((n) => decideUnknownLogin(n, NOW, policy));
    expect(decoy).toEqual(real);
  });
});
