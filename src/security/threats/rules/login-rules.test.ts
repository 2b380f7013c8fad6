/** Threat rules over logins, given/when/then: brute force, credential stuffing, the ban rule, admin new device. */
import { describe, expect, it } from "vitest";
import { ev, failed, series, uid } from "../testing.ts";
import { adminNewDevice } from "./admin-new-device.ts";
import { bruteForce } from "./brute-force.ts";
import { credentialStuffing } from "./credential-stuffing.ts";
import { ipBan } from "./ip-ban.ts";

describe("brute force (>= 10 failed logins on one account within 1 minute)", () => {
  it("given 10 failures on one account within a minute, raises a high alert about that account", () => {
    const [window, trigger] = series(10, (i) => failed(1, { at: i * 5 }));
    const alerts = bruteForce(window, trigger);
    expect(alerts).toEqual([
      expect.objectContaining({
        rule: "brute_force",
        severity: "high",
        subject: { kind: "account", account: uid(1) },
        eventIds: window.map((e) => e.eventId),
        periodMs: 60_000,
      }),
    ]);
  });

  it("given 9 failures, or 10 spread over more than a minute, raises nothing", () => {
    const [nine, t9] = series(9, (i) => failed(1, { at: i }));
    expect(bruteForce(nine, t9)).toEqual([]);
    const [slow, tSlow] = series(10, (i) => failed(1, { at: i * 7 }));
    expect(bruteForce(slow, tSlow)).toEqual([]);
  });

  it("counts one account only, and groups unknown emails by their hash", () => {
    const [mixed, t] = series(10, (i) => failed(i % 2, { at: i }));
    expect(bruteForce(mixed, t)).toEqual([]);
    const [unknown, tu] = series(10, (i) => failed(7, { at: i, known: false }));
    expect(bruteForce(unknown, tu)[0]?.subject).toEqual({
      kind: "account",
      account: `email:${"7".padStart(64, "0")}`,
    });
  });

  it("ignores other triggers", () => {
    expect(bruteForce([], ev("LoginSucceeded", { userId: uid(1) }))).toEqual([]);
  });
});

describe("credential stuffing (one address failing on >= 5 distinct accounts within 10 minutes)", () => {
  it("given failures on 5 accounts from one address, raises a high alert about the address", () => {
    const [window, trigger] = series(5, (i) => failed(i, { at: i * 60 }));
    const [alert] = credentialStuffing(window, trigger);
    expect(alert).toMatchObject({
      rule: "credential_stuffing",
      severity: "high",
      subject: { kind: "ip", ip: "203.0.113.9" },
      periodMs: 600_000,
    });
    expect(alert!.summary).not.toContain("203.0.113.9");
    expect(alert!.eventIds).toHaveLength(5);
  });

  it("given 4 accounts, many attempts each, raises nothing", () => {
    const [window, trigger] = series(20, (i) => failed(i % 4, { at: i }));
    expect(credentialStuffing(window, trigger)).toEqual([]);
  });

  it("does not mix addresses, and treats an IPv6 /64 as one address", () => {
    const [spread, t] = series(5, (i) => failed(i, { at: i, ip: `198.51.100.${i}` }));
    expect(credentialStuffing(spread, t)).toEqual([]);
    const [v6, t6] = series(5, (i) => failed(i, { at: i, ip: `2001:db8:1:2::${i + 1}` }));
    expect(credentialStuffing(v6, t6)[0]?.subject).toEqual({ kind: "ip", ip: "2001:db8:1:2:0:0:0:0/64" });
  });

  it("ignores failures older than 10 minutes and events without an address", () => {
    const old = [0, 1, 2, 3].map((i) => failed(i, { at: i }));
    const trigger = failed(9, { at: 601 });
    expect(credentialStuffing(old, trigger)).toEqual([]);
    expect(credentialStuffing([], failed(1, { ip: null }))).toEqual([]);
  });
});

describe("ip ban (more than 50 failed logins from one address within 10 minutes)", () => {
  it("given 51 failures, bans the address for an hour from the last failure and raises an alert", () => {
    const [window, trigger] = series(51, (i) => failed(i % 3, { at: i * 10 }));
    const [alert] = ipBan(window, trigger);
    expect(alert).toMatchObject({
      rule: "ip_ban",
      severity: "high",
      subject: { kind: "ip", ip: "203.0.113.9" },
      ban: {
        ip: "203.0.113.9",
        failures: 51,
        until: new Date(trigger.recordedAt.getTime() + 3_600_000).toISOString(),
        countedSince: new Date(trigger.recordedAt.getTime() - 600_000).toISOString(),
      },
    });
  });

  it("given exactly 50, does not ban", () => {
    const [window, trigger] = series(50, (i) => failed(i, { at: i }));
    expect(ipBan(window, trigger)).toEqual([]);
  });
});

describe("admin signing in from a new device and address", () => {
  const login = (at: number, ip: string | null, deviceTrusted = false) =>
    ev(
      "LoginSucceeded",
      { userId: uid(1), sessionId: uid(100 + at), deviceTrusted, email: "a@x.io" },
      { at, ip },
    );

  it("given earlier logins from elsewhere, an untrusted device from a new address raises a high alert", () => {
    const history = [login(0, "198.51.100.1", true), login(10, "198.51.100.1", true)];
    const trigger = login(20, "203.0.113.50");
    expect(adminNewDevice([...history, trigger], trigger)).toEqual([
      expect.objectContaining({
        rule: "admin_new_device",
        severity: "high",
        subject: { kind: "account", account: uid(1) },
        eventIds: [trigger.eventId],
        periodMs: null,
      }),
    ]);
  });

  it("raises nothing for a known address, a trusted device, or a first login (no baseline)", () => {
    const history = [login(0, "198.51.100.1", true)];
    const sameIp = login(20, "198.51.100.1");
    expect(adminNewDevice([...history, sameIp], sameIp)).toEqual([]);
    const trusted = login(20, "203.0.113.50", true);
    expect(adminNewDevice([...history, trusted], trusted)).toEqual([]);
    const first = login(0, "203.0.113.50");
    expect(adminNewDevice([first], first)).toEqual([]);
  });
});
