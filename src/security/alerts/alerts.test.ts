/** Alerts: the lifecycle decider, alerts raised once however often the analyzer runs, the HTTP lifecycle, admin emails. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../../events/types.ts";
import { EMAIL_SEND } from "../../../workers/email.ts";
import { type SecurityHarness, securityHarness } from "../testing.ts";
import { analyze } from "../threats/analyze.ts";
import { type AlertState, alertEvolver, decideAcknowledge, decideResolve } from "./alert.ts";

const ID = "0123456789abcdef0123456789abcdef";
const given = (...types: string[]) =>
  types.reduce<AlertState>(
    (s, type) => alertEvolver.evolve(s, { type } as StoredEvent),
    alertEvolver.initialState(),
  );

describe("the alert decider", () => {
  it("acknowledges an open alert, resolves an open or acknowledged one", () => {
    expect(decideAcknowledge(given("AlertRaised"), { alertId: ID, note: "on it" })).toEqual([
      { type: "AlertAcknowledged", data: { alertId: ID, note: "on it" } },
    ]);
    expect(decideResolve(given("AlertRaised"), { alertId: ID, note: null })).toEqual([
      { type: "AlertResolved", data: { alertId: ID, note: null } },
    ]);
    expect(
      decideResolve(given("AlertRaised", "AlertAcknowledged"), { alertId: ID, note: null }),
    ).toHaveLength(1);
  });

  it("decides nothing for the state the alert is already in (the no-op rule)", () => {
    const t = { alertId: ID, note: null };
    expect(decideAcknowledge(given("AlertRaised", "AlertAcknowledged"), t)).toEqual([]);
    expect(decideResolve(given("AlertRaised", "AlertResolved"), t)).toEqual([]);
    expect(decideResolve(given("AlertRaised", "AlertAcknowledged", "AlertResolved"), t)).toEqual([]);
  });

  it("refuses a backward transition with a conflict that says why, and unknown alerts with not_found", () => {
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return { code: (err as { code: string }).code, detail: (err as Error).message };
      }
      return null;
    };
    const t = { alertId: ID, note: null };
    expect(attempt(() => decideAcknowledge(given("AlertRaised", "AlertResolved"), t))).toEqual({
      code: "conflict",
      detail: expect.stringMatching(/resolved/),
    });
    expect(attempt(() => decideAcknowledge(given(), t))?.code).toBe("not_found");
    expect(attempt(() => decideResolve(given(), t))?.code).toBe("not_found");
  });
});

describe("alerts over HTTP", () => {
  let h: SecurityHarness;
  let admin: { userId: string; token: string };
  beforeEach(async () => {
    h = await securityHarness();
    admin = await h.account("admin@example.com", ["admin"], "198.51.100.1");
  });
  afterEach(() => h.close());

  /** Five accounts failing from one address: a credential-stuffing alert. */
  async function stuffing(ip = "203.0.113.9") {
    for (let i = 0; i < 5; i++) {
      await h.call("POST", "/v1/auth/login", {
        body: { email: `v${i}@example.com`, password: "nope-nope-nope" },
        ip,
      });
      h.clock.advance(10);
    }
    await h.runJobs();
    const res = await h.call("GET", "/v1/security/alerts?status=open", { token: admin.token });
    return res.body!.alerts as { id: string; rule: string; eventIds: string[]; subject: string }[];
  }

  it("raises an alert once however many times the window is analysed, and emails every admin once", async () => {
    const second = await h.account("second-admin@example.com", ["admin"], "198.51.100.2");
    await h.account("plain@example.com");
    const [alert, ...rest] = await stuffing();
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({ rule: "credential_stuffing", severity: "high", status: "open" });
    expect(alert!.eventIds).toHaveLength(5);
    expect(alert!.subject).toMatch(/^ip:[0-9a-f]{32}$/);
    expect(JSON.stringify(alert)).not.toContain("203.0.113.9");

    // Running every trigger of the window again (duplicate jobs) raises nothing new.
    const events = await h.events();
    for (const e of events.filter((x) => x.type === "LoginFailed")) {
      expect((await analyze({ db: h.db, store: h.deps.store, clock: h.clock }, e)).raised).toEqual([]);
    }
    expect((await h.events()).filter((e) => e.type === "AlertRaised")).toHaveLength(1);

    const mails = h.enqueued.filter((j) => j.name === EMAIL_SEND);
    expect(mails.map((m) => (m.data as { to: string }).to).sort()).toEqual([
      "admin@example.com",
      "second-admin@example.com",
    ]);
    expect(new Set(mails.map((m) => m.id)).size).toBe(2);
    expect(mails[0]!.id).toMatch(new RegExp(`/email.send/(${admin.userId}|${second.userId})$`));
    expect((mails[0]!.data as { subject: string }).subject).toBe(
      "[Vigil] HIGH security alert: credential stuffing",
    );
    expect((mails[0]!.data as { text: string }).text).toContain(alert!.id);
  });

  it("moves an alert open -> acknowledged -> resolved with actor and note, and refuses bad transitions with 409", async () => {
    const [alert] = await stuffing();
    const path = `/v1/security/alerts/${alert!.id}`;
    const ack = await h.call("POST", `${path}/acknowledge`, {
      token: admin.token,
      body: { note: "looking" },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({
      status: "acknowledged",
      acknowledgedBy: `user:${admin.userId}`,
      acknowledgedNote: "looking",
      acknowledgedAt: expect.any(String),
      changed: true,
    });
    // The no-op rule: the same request again answers the same state, changes nothing.
    const again = await h.call("POST", `${path}/acknowledge`, { token: admin.token });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...ack.body, changed: false });

    const resolved = await h.call("POST", `${path}/resolve`, { token: admin.token });
    expect(resolved.body).toMatchObject({
      status: "resolved",
      resolvedBy: `user:${admin.userId}`,
      resolvedNote: null,
      changed: true,
    });
    const resolvedAgain = await h.call("POST", `${path}/resolve`, { token: admin.token });
    expect(resolvedAgain.status).toBe(200);
    expect(resolvedAgain.body).toEqual({ ...resolved.body, changed: false });
    // Backwards is not a no-op: a resolved alert cannot be acknowledged.
    const back = await h.call("POST", `${path}/acknowledge`, { token: admin.token });
    expect(back.status).toBe(409);
    expect(back.body).toMatchObject({ code: "conflict" });
    expect((await h.call("GET", path, { token: admin.token })).body).toMatchObject({ status: "resolved" });
    expect(
      (await h.call("POST", `/v1/security/alerts/${"f".repeat(32)}/resolve`, { token: admin.token })).status,
    ).toBe(404);

    const types = (await h.events()).filter((e) => e.streamId === `alert-${alert!.id}`).map((e) => e.type);
    expect(types).toEqual(["AlertRaised", "AlertAcknowledged", "AlertResolved"]);
    const open = await h.call("GET", "/v1/security/alerts?status=open,acknowledged", { token: admin.token });
    expect(open.body!.alerts).toEqual([]);
  });

  it("lists alerts newest first, filtered by status and severity, a page at a time", async () => {
    // An hour apart (a new period each); the admin logs in again after the idle timeout.
    const later = async () => {
      h.clock.advance(3600);
      admin.token = await h.login("admin@example.com", { ip: "198.51.100.1" });
    };
    await stuffing("203.0.113.1");
    await later();
    await stuffing("203.0.113.2");
    await later();
    const [newest] = await stuffing("203.0.113.3");
    const page1 = await h.call("GET", "/v1/security/alerts?limit=2&severity=high", { token: admin.token });
    expect(page1.body!.alerts).toHaveLength(2);
    expect(page1.body!.alerts[0].id).toBe(newest!.id);
    const page2 = await h.call("GET", `/v1/security/alerts?limit=2&cursor=${page1.body!.nextCursor}`, {
      token: admin.token,
    });
    expect(page2.body!.alerts).toHaveLength(1);
    expect(page2.body!.nextCursor).toBeNull();
    const ids = [...page1.body!.alerts, ...page2.body!.alerts].map((a: { id: string }) => a.id);
    expect(new Set(ids).size).toBe(3);
    expect(
      (await h.call("GET", "/v1/security/alerts?severity=low", { token: admin.token })).body!.alerts,
    ).toEqual([]);
    expect((await h.call("GET", "/v1/security/alerts?status=bogus", { token: admin.token })).status).toBe(
      400,
    );
    expect(
      (await h.call("GET", "/v1/security/alerts?cursor=nope", { token: admin.token })).body,
    ).toMatchObject({
      code: "validation_failed",
      errors: [{ path: "query.cursor" }],
    });
  });

  it("needs a token (401) and security:write to change an alert (403 for a plain user)", async () => {
    const user = await h.account("user@example.com");
    expect((await h.call("GET", "/v1/security/alerts")).status).toBe(401);
    expect((await h.call("GET", "/v1/security/alerts", { token: user.token })).status).toBe(403);
    expect(
      (await h.call("POST", `/v1/security/alerts/${ID}/acknowledge`, { token: user.token })).status,
    ).toBe(403);
  });
});
