/** The monitoring API: access, the log with filters and cursors, metrics (JSON and Prometheus), lockouts. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PASSWORD } from "../../identity/testing.ts";
import { type SecurityHarness, securityHarness } from "../testing.ts";

let h: SecurityHarness;
let admin: { userId: string; token: string };
beforeEach(async () => {
  h = await securityHarness();
  admin = await h.account("admin@example.com", ["admin"], "198.51.100.1");
});
afterEach(() => h.close());

const get = (path: string, token = admin.token) => h.call("GET", path, { token });

describe("access", () => {
  const endpoints = [
    "/v1/security/events",
    "/v1/security/metrics",
    "/v1/security/alerts",
    "/v1/security/lockouts",
    "/v1/admin/bans",
  ];

  it("answers 401 without a token, 403 to a plain user, 200 to an admin", async () => {
    const user = await h.account("user@example.com");
    for (const path of endpoints) {
      const anonymous = await h.call("GET", path);
      expect([path, anonymous.status, anonymous.body?.code]).toEqual([path, 401, "unauthorized"]);
      const plain = await get(path, user.token);
      expect([path, plain.status, plain.body?.code]).toEqual([path, 403, "forbidden"]);
      expect([path, (await get(path)).status]).toEqual([path, 200]);
    }
    const write = await h.call("POST", `/v1/security/lockouts/${user.userId}/clear`, { token: user.token });
    expect(write.status).toBe(403);
  });

  it("documents every security endpoint in /openapi.json", async () => {
    const doc = (await h.call("GET", "/openapi.json")).body!;
    for (const path of [
      ...endpoints,
      "/v1/security/alerts/{id}",
      "/v1/security/alerts/{id}/acknowledge",
      "/v1/security/alerts/{id}/resolve",
      "/v1/security/lockouts/{userId}/clear",
      "/v1/admin/bans/{ip}",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});

describe("GET /v1/security/events", () => {
  beforeEach(async () => {
    for (const [i, ip] of ["203.0.113.1", "203.0.113.2", "203.0.113.1"].entries()) {
      h.clock.advance(60);
      await h.call("POST", "/v1/auth/login", {
        body: { email: `x${i}@example.com`, password: "wrong-pass-1" },
        ip,
      });
    }
  });

  it("returns the log newest first, with password hashes redacted", async () => {
    const res = await get("/v1/security/events");
    const types = res.body!.events.map((e: { type: string }) => e.type);
    expect(types.slice(0, 3)).toEqual(["LoginFailed", "LoginFailed", "LoginFailed"]);
    expect(types).toContain("UserRegistered");
    expect(JSON.stringify(res.body)).not.toContain("$argon2id$");
    expect(res.body!.nextCursor).toBeNull();
  });

  it("filters by type, IP, actor and time range", async () => {
    const byIp = await get("/v1/security/events?type=LoginFailed&ip=203.0.113.1");
    expect(byIp.body!.events).toHaveLength(2);
    expect(
      byIp.body!.events.every((e: { metadata: { ip: string } }) => e.metadata.ip === "203.0.113.1"),
    ).toBe(true);
    const byActor = await get(`/v1/security/events?actor=user:${admin.userId}`);
    expect(byActor.body!.events.map((e: { type: string }) => e.type).sort()).toEqual([
      "LoginSucceeded",
      "SessionStarted",
    ]);
    const several = await get("/v1/security/events?type=LoginSucceeded,UserRegistered");
    expect(several.body!.events).toHaveLength(2);
    const window = await get(
      "/v1/security/events?type=LoginFailed&from=2026-03-01T10:01:30Z&to=2026-03-01T10:02:30Z",
    );
    expect(window.body!.events).toHaveLength(1);
    expect(window.body!.events[0].metadata.ip).toBe("203.0.113.2");
    expect((await get("/v1/security/events?type=drop%20table")).status).toBe(400);
    expect((await get("/v1/security/events?limit=201")).status).toBe(400);
  });

  it("pages by log position with an opaque cursor, in either order", async () => {
    const all = (await get("/v1/security/events?limit=200")).body!.events.map(
      (e: { eventId: string }) => e.eventId,
    );
    const walk = async (order: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const res = await get(
          `/v1/security/events?order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(res.status).toBe(200);
        const page = res.body!.events.map((e: { eventId: string }) => e.eventId);
        seen.push(...page);
        cursor = res.body!.nextCursor;
        if (page.length === 0 || (order === "desc" && cursor === null)) break;
      }
      return { seen, cursor };
    };
    const desc = await walk("desc");
    expect(desc.seen).toEqual(all);
    const asc = await walk("asc");
    expect(asc.seen).toEqual([...all].reverse());
    // Oldest first keeps handing back a cursor to poll with.
    expect(asc.cursor).toEqual(expect.any(String));
    const bad = await get("/v1/security/events?cursor=bm90IGEgY3Vyc29y");
    expect(bad.body).toMatchObject({ code: "validation_failed", errors: [{ path: "query.cursor" }] });
  });
});

describe("GET /v1/security/metrics and /metrics", () => {
  it("counts logins, failures, lockouts, alerts and state over the last hour and day", async () => {
    const user = await h.account("user@example.com");
    for (let i = 0; i < 5; i++) {
      await h.call("POST", "/v1/auth/login", {
        body: { email: "user@example.com", password: "wrong-pass-1" },
      });
    }
    for (let i = 0; i < 5; i++) {
      await h.call("POST", "/v1/auth/login", {
        body: { email: `s${i}@example.com`, password: "x" },
        ip: "203.0.113.5",
      });
    }
    await h.runJobs();
    await h.stats();
    const res = await get("/v1/security/metrics");
    expect(res.status).toBe(200);
    expect(res.body!.hour).toMatchObject({
      loginsSucceeded: 2,
      loginsFailed: 10,
      lockouts: 1,
      alertsRaised: 1,
      bans: 0,
    });
    expect(res.body!.hour.eventsAppended).toBeGreaterThan(15);
    expect(res.body!.day.loginsFailed).toBe(10);
    expect(res.body).toMatchObject({
      openAlerts: { low: 0, medium: 0, high: 1, critical: 0 },
      activeSessions: 2,
      activeBans: 0,
      lockedAccounts: 1,
    });
    void user;

    const prom = await (await h.app.request("/metrics")).text();
    expect(prom).toContain('vigil_security_events{window="hour",kind="logins_failed"} 10');
    expect(prom).toContain('vigil_security_open_alerts{severity="high"} 1');
    expect(prom).toContain("vigil_security_active_sessions 2");
    expect(prom).toContain("vigil_security_locked_accounts 1");
  });
});

describe("lockouts", () => {
  it("lists locked accounts and clears one with AccountUnlocked {reason: admin} on the user's stream", async () => {
    const user = await h.account("locked@example.com");
    for (let i = 0; i < 5; i++) {
      await h.call("POST", "/v1/auth/login", {
        body: { email: "locked@example.com", password: "wrong-pass-1" },
      });
    }
    const list = await get("/v1/security/lockouts");
    expect(list.body!.lockouts).toEqual([
      { userId: user.userId, email: "locked@example.com", lockedUntil: "2026-03-01T10:30:00.000Z" },
    ]);
    const clear = await h.call("POST", `/v1/security/lockouts/${user.userId}/clear`, {
      token: admin.token,
      body: { reason: "verified by phone" },
    });
    expect(clear.status).toBe(200);
    expect(clear.body).toEqual({
      userId: user.userId,
      locked: false,
      lockedUntil: null,
      failedLogins: 0,
      changed: true,
    });
    const unlocked = (await h.events()).at(-1)!;
    expect(unlocked).toMatchObject({
      type: "AccountUnlocked",
      streamId: `user-${user.userId}`,
      data: { userId: user.userId, reason: "admin" },
      metadata: { actor: `user:${admin.userId}`, reason: "verified by phone" },
    });
    expect((await get("/v1/security/lockouts")).body!.lockouts).toEqual([]);
    expect(await h.login("locked@example.com", { password: PASSWORD })).toEqual(expect.any(String));
    // The no-op rule: nothing to clear answers 200 with changed: false and records nothing.
    const before = (await h.events()).length;
    const again = await h.call("POST", `/v1/security/lockouts/${user.userId}/clear`, { token: admin.token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ locked: false, changed: false });
    expect((await h.events()).length).toBe(before);
    const missing = await h.call("POST", "/v1/security/lockouts/0195a000-0000-7000-8000-000000000000/clear", {
      token: admin.token,
    });
    expect(missing.status).toBe(404);
  });
});
