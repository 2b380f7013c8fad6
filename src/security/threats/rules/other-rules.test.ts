/** Threat rules beyond logins, given/when/then: token reuse, lockout storm, rate-limit bursts, 2FA failures, guardian connections. */
import { describe, expect, it } from "vitest";
import { ev, hash, series, uid } from "../testing.ts";
import { guardianConnections } from "./guardian-connections.ts";
import { lockoutStorm } from "./lockout-storm.ts";
import { rateLimitBurst } from "./rate-limit-burst.ts";
import { refreshTokenReuse } from "./token-reuse.ts";
import { twoFactorFailures } from "./two-factor-failures.ts";

describe("refresh token reuse", () => {
  it("raises a high alert about the session for every reuse, each its own", () => {
    const reuse = ev("RefreshTokenReuseDetected", { sessionId: uid(5), userId: uid(1), tokenHash: hash(1) });
    expect(refreshTokenReuse([], reuse)).toEqual([
      expect.objectContaining({
        rule: "refresh_token_reuse",
        severity: "high",
        subject: { kind: "session", sessionId: uid(5) },
        eventIds: [reuse.eventId],
        periodMs: null,
      }),
    ]);
  });
});

describe("lockout storm (>= 5 accounts locked within 10 minutes)", () => {
  const locked = (n: number, at: number) =>
    ev(
      "AccountLocked",
      { userId: uid(n), until: "2026-03-01T11:00:00.000Z", failures: 5, email: "a@x.io" },
      { at },
    );

  it("given 5 distinct accounts locked within 10 minutes, raises a critical global alert", () => {
    const [window, trigger] = series(5, (i) => locked(i, i * 100));
    expect(lockoutStorm(window, trigger)).toEqual([
      expect.objectContaining({ rule: "lockout_storm", severity: "critical", subject: { kind: "global" } }),
    ]);
  });

  it("given 4 accounts (one locked twice), or 5 over more than 10 minutes, raises nothing", () => {
    const [twice, t] = series(5, (i) => locked(Math.min(i, 3), i));
    expect(lockoutStorm(twice, t)).toEqual([]);
    const [slow, ts] = series(5, (i) => locked(i, i * 160));
    expect(lockoutStorm(slow, ts)).toEqual([]);
  });
});

describe("rate-limit burst (>= 10 RateLimitExceeded from one address within 10 minutes)", () => {
  const refused = (at: number, ip = "203.0.113.9", policy = "ip-minute") =>
    ev("RateLimitExceeded", { policy, keyHash: hash(at), limit: 60, windowMs: 60_000 }, { at, ip });

  it("given 10 refusals from one address, raises a medium alert naming the policies", () => {
    const [window, trigger] = series(10, (i) =>
      refused(i * 50, "203.0.113.9", i % 2 ? "login" : "ip-minute"),
    );
    const [alert] = rateLimitBurst(window, trigger);
    expect(alert).toMatchObject({
      rule: "rate_limit_burst",
      severity: "medium",
      subject: { kind: "ip", ip: "203.0.113.9" },
    });
    expect(alert!.summary).toContain("ip-minute, login");
  });

  it("given 9, or 10 spread over several addresses, raises nothing", () => {
    const [nine, t9] = series(9, (i) => refused(i));
    expect(rateLimitBurst(nine, t9)).toEqual([]);
    const [spread, ts] = series(10, (i) => refused(i, `198.51.100.${i % 2}`));
    expect(rateLimitBurst(spread, ts)).toEqual([]);
  });
});

describe("repeated two-factor failures (>= 5 within 15 minutes on one account)", () => {
  const mfaFailed = (n: number, at: number) =>
    ev("MfaVerificationFailed", { userId: uid(n), method: "totp", purpose: "login" }, { at });

  it("given 5 failures on one account within 15 minutes, raises a high alert about the account", () => {
    const [window, trigger] = series(5, (i) => mfaFailed(1, i * 200));
    expect(twoFactorFailures(window, trigger)).toEqual([
      expect.objectContaining({
        rule: "two_factor_failures",
        severity: "high",
        subject: { kind: "account", account: uid(1) },
      }),
    ]);
  });

  it("given 4, or 5 across two accounts, or 5 over more than 15 minutes, raises nothing", () => {
    expect(twoFactorFailures(...series(4, (i) => mfaFailed(1, i)))).toEqual([]);
    expect(twoFactorFailures(...series(5, (i) => mfaFailed(i % 2, i)))).toEqual([]);
    expect(twoFactorFailures(...series(5, (i) => mfaFailed(1, i * 240)))).toEqual([]);
  });
});

describe("guardian connections (more than 3 concurrent; unit-tested, ready for custody)", () => {
  const rule = guardianConnections();
  const started = (n: number, at: number, expiresAt = "2026-03-08T10:00:00.000Z") =>
    ev(
      "SessionStarted",
      {
        sessionId: uid(100 + n),
        userId: uid(1),
        refreshTokenHash: hash(n),
        expiresAt,
        ip: null,
        userAgent: null,
      },
      { at },
    );
  const ended = (n: number, at: number) =>
    ev("SessionRevoked", { sessionId: uid(100 + n), userId: uid(1), reason: "logout" }, { at });

  it("given a 4th connection while 3 are open, raises a high alert listing the open ones", () => {
    const window = [started(1, 0), started(2, 1), started(3, 2)];
    const trigger = started(4, 3);
    const [alert] = rule([...window, trigger], trigger);
    expect(alert).toMatchObject({
      rule: "guardian_connections",
      severity: "high",
      subject: { kind: "account", account: uid(1) },
    });
    expect(alert!.eventIds).toHaveLength(4);
  });

  it("does not count connections that ended or expired", () => {
    const trigger = started(4, 10);
    expect(rule([started(1, 0), started(2, 1), started(3, 2), ended(2, 5), trigger], trigger)).toEqual([]);
    const expired = started(1, 0, "2026-03-01T10:00:05.000Z");
    expect(rule([expired, started(2, 1), started(3, 2), trigger], trigger)).toEqual([]);
  });

  it("takes other connection events for the custody work", () => {
    const custody = guardianConnections({
      starts: ["GuardianConnected"],
      ends: ["GuardianDisconnected"],
      key: (e) => (e.data as { connectionId: string }).connectionId,
      max: 1,
    });
    const a = ev("GuardianConnected", { userId: uid(1), connectionId: "a" }, { at: 0 });
    const b = ev("GuardianConnected", { userId: uid(1), connectionId: "b" }, { at: 1 });
    expect(custody([a, b], b)).toHaveLength(1);
  });
});
