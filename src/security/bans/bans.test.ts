/** Bans over HTTP: the ban rule bans an address after 51 failed logins; admins list and lift; IPv6 by /64. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../../events/types.ts";
import { allProjections } from "../../../projections/index.ts";
import { verifyProjections } from "../../../projections/rebuild.ts";
import { systemMeta as meta } from "../../../test/fixtures/events.ts";
import { PASSWORD } from "../../identity/testing.ts";
import { type SecurityHarness, securityHarness } from "../testing.ts";
import { type BanState, banEvolver, banStream, decideBan, decideLift } from "./ban.ts";
import { banListFor } from "./check.ts";

const ATTACKER = "203.0.113.9";

describe("the ban decider", () => {
  const now = new Date("2026-03-01T10:00:00.000Z");
  const cmd = {
    ip: ATTACKER,
    until: "2026-03-01T11:00:00.000Z",
    failures: 51,
    rule: "ip_ban",
    now,
    countedSince: new Date("2026-03-01T09:50:00.000Z"),
  };
  const fold = (...events: Partial<StoredEvent>[]) =>
    events.reduce<BanState>((s, e) => banEvolver.evolve(s, e as StoredEvent), banEvolver.initialState());
  const banned = { type: "IpBanned", data: { until: "2026-03-01T11:00:00.000Z" } };

  it("given no ban, bans; given a running ban, decides nothing (a duplicate job)", () => {
    expect(decideBan(fold(), cmd)).toEqual([
      { type: "IpBanned", data: { ip: ATTACKER, until: cmd.until, failures: 51, rule: "ip_ban" } },
    ]);
    expect(decideBan(fold(banned), cmd)).toEqual([]);
  });

  it("given a lift inside the counted window, does not ban again on the failures from before it", () => {
    const lifted = fold(banned, { type: "IpBanLifted", recordedAt: new Date("2026-03-01T09:55:00.000Z") });
    expect(decideBan(lifted, cmd)).toEqual([]);
    expect(decideBan(lifted, { ...cmd, countedSince: new Date("2026-03-01T09:56:00.000Z") })).toHaveLength(1);
  });

  it("lifts a running ban only; lifting an address that is not banned decides nothing", () => {
    expect(decideLift(fold(banned), { ip: ATTACKER, reason: "x", now })).toEqual([
      { type: "IpBanLifted", data: { ip: ATTACKER, reason: "x" } },
    ]);
    expect(decideLift(fold(), { ip: ATTACKER, reason: "x", now })).toEqual([]);
    expect(
      decideLift(fold(banned), { ip: ATTACKER, reason: "x", now: new Date("2026-03-01T11:00:00.000Z") }),
    ).toEqual([]);
  });
});

describe("IP bans over HTTP", () => {
  let h: SecurityHarness;
  let admin: { userId: string; token: string };
  beforeEach(async () => {
    h = await securityHarness();
    admin = await h.account("admin@example.com", ["admin"], "198.51.100.1");
  });
  afterEach(() => h.close());

  const fail = (i: number, ip = ATTACKER) =>
    h.call("POST", "/v1/auth/login", {
      body: { email: `victim${i}@example.com`, password: "wrong-password-123" },
      ip,
    });

  it("bans an address after more than 50 failed logins in 10 minutes, on every auth route, until an admin lifts it", async () => {
    for (let i = 0; i < 51; i++) {
      expect((await fail(i)).status).toBe(401);
      h.clock.advance(5);
    }
    await h.runJobs();

    const refused = await fail(99);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ code: "ip_banned", status: 403 });
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(3500);
    const register = await h.call("POST", "/v1/auth/register", {
      body: { email: "new@example.com", password: PASSWORD },
      ip: ATTACKER,
    });
    expect(register.body?.code).toBe("ip_banned");
    expect(
      (await h.call("POST", "/v1/auth/refresh", { body: { refreshToken: "x" }, ip: ATTACKER })).status,
    ).toBe(403);
    // Others are not affected, nor are non-auth routes.
    expect((await fail(99, "198.51.100.77")).status).toBe(401);
    expect((await h.call("GET", "/health", { ip: ATTACKER })).status).toBe(200);

    const list = await h.call("GET", "/v1/admin/bans", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body!.bans).toEqual([
      expect.objectContaining({ ip: ATTACKER, reason: "ip_ban", failures: 51, active: true, liftedAt: null }),
    ]);

    const lift = await h.call("DELETE", `/v1/admin/bans/${ATTACKER}?reason=false%20positive`, {
      token: admin.token,
    });
    expect(lift.status).toBe(200);
    expect(lift.body).toEqual({ ip: ATTACKER, active: false, changed: true });
    expect((await fail(100)).status).toBe(401);
    expect((await h.call("GET", "/v1/admin/bans", { token: admin.token })).body!.bans).toEqual([]);
    const all = await h.call("GET", "/v1/admin/bans?status=all", { token: admin.token });
    expect(all.body!.bans[0]).toMatchObject({
      active: false,
      liftedBy: `user:${admin.userId}`,
      liftReason: "false positive",
    });
    // The no-op rule: lifting again answers 200, changed: false, and records nothing.
    const before = (await h.events()).length;
    const again = await h.call("DELETE", `/v1/admin/bans/${ATTACKER}`, { token: admin.token });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ip: ATTACKER, active: false, changed: false });
    expect((await h.events()).length).toBe(before);

    const events = await h.events();
    const ban = events.find((e) => e.type === "IpBanned")!;
    expect(ban.data).toMatchObject({ ip: ATTACKER, failures: 51, rule: "ip_ban" });
    expect(ban.streamId).toMatch(/^ban-[0-9a-f]{32}$/);
    expect(ban.streamId).not.toContain(ATTACKER);
    const lifted = events.find((e) => e.type === "IpBanLifted")!;
    expect(lifted).toMatchObject({
      streamId: ban.streamId,
      data: { ip: ATTACKER, reason: "false positive" },
    });
    expect(lifted.metadata).toMatchObject({ actor: `user:${admin.userId}`, reason: "false positive" });
    expect(
      events
        .filter((e) => e.type === "AlertRaised")
        .map((e) => (e.data as { rule: string }).rule)
        .sort(),
    ).toEqual(["credential_stuffing", "ip_ban"]);

    // The lift gives a fresh window: the failures from before it do not ban again.
    await h.runJobs();
    expect((await fail(101)).status).toBe(401);
    await h.runJobs();
    expect((await h.events()).filter((e) => e.type === "IpBanned")).toHaveLength(1);

    const diffs = await verifyProjections(
      { db: h.db, store: h.deps.store },
      allProjections.filter((p) => p.mode === "inline"),
    );
    expect(diffs).toEqual([]);
  });

  it("bans IPv6 clients by /64 and lifts with the address URL-encoded, as an address or as the /64", async () => {
    const net = "2001:db8:1:2:0:0:0:0/64";
    const ban = async (failures: number) => {
      const data = { ip: net, until: "2026-03-01T11:00:00.000Z", failures, rule: "ip_ban" };
      await h.deps.store.append(banStream(net), "any", [{ type: "IpBanned", data }], meta);
      banListFor(h.deps).invalidate();
    };
    await ban(51);

    expect((await fail(1, "2001:db8:1:2::99")).status).toBe(403);
    expect((await fail(1, "2001:db8:1:3::99")).status).toBe(401);
    const byAddress = await h.call("DELETE", `/v1/admin/bans/${encodeURIComponent("2001:db8:1:2::abcd")}`, {
      token: admin.token,
      body: { reason: "customer NAT" },
    });
    expect(byAddress.status).toBe(200);
    expect(byAddress.body).toMatchObject({ changed: true });
    expect((await fail(1, "2001:db8:1:2::99")).status).toBe(401);

    await ban(60);
    expect((await fail(1, "2001:db8:1:2::99")).status).toBe(403);
    const byNet = await h.call("DELETE", `/v1/admin/bans/${encodeURIComponent("2001:db8:1:2::/64")}`, {
      token: admin.token,
    });
    expect(byNet.status).toBe(200);
    expect(byNet.body).toMatchObject({ changed: true });
    expect((await h.call("DELETE", "/v1/admin/bans/not-an-ip", { token: admin.token })).body).toMatchObject({
      code: "validation_failed",
    });
  });

  it("needs a token (401) and the security permissions (403)", async () => {
    const user = await h.account("user@example.com");
    expect((await h.call("GET", "/v1/admin/bans")).status).toBe(401);
    expect((await h.call("GET", "/v1/admin/bans", { token: user.token })).body).toMatchObject({
      code: "forbidden",
    });
    expect((await h.call("DELETE", `/v1/admin/bans/${ATTACKER}`, { token: user.token })).status).toBe(403);
  });
});
