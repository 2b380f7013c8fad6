/**
 * The console over app.request (no sockets, no browser): CSP nonces, cookie
 * flags, sign-in with TOTP, who may use it, CSRF refusals, role checks, and
 * that an action leaves the same event as the API's. The browser suite
 * (console.browser.test.ts) drives the same pages in Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessFeature } from "../access/feature.ts";
import { type App, createApp } from "../app.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { peer } from "../http/test-app.ts";
import { identityFeature } from "../identity/feature.ts";
import { type IdentityHarness, identityHarness, PASSWORD } from "../identity/testing.ts";
import { securityFeature } from "../security/feature.ts";
import { consoleFeature } from "./feature.ts";
import { cookieNames, secure } from "./session.ts";
import { consoleClient, enrollTotp, registerAccount, type Send } from "./testing.ts";

let h: IdentityHarness;
let app: App;
let send: Send;

// One database for the file (creating one is the slow part); every test uses its own accounts.
beforeAll(async () => {
  h = await identityHarness();
  app = createApp(h.deps, [securityFeature, identityFeature, accessFeature, consoleFeature]);
  send = async (path, init) => app.request(path, init, peer("192.0.2.10"));
}, 180_000);
afterAll(() => h?.close());

let n = 0;
const email = (name: string) => `${name}-${++n}@example.com`;

async function admin() {
  const address = email("soc");
  const id = await registerAccount(h.deps, address, ["admin"], PASSWORD);
  const secret = await enrollTotp(send, address, PASSWORD, h.clock.now().getTime());
  const client = consoleClient(send);
  const res = await client.signIn(address, PASSWORD, secret, h.clock.now().getTime());
  expect(res.status).toBe(303);
  expect(res.location).toBe("/console");
  return { id, client, secret };
}

async function viewer() {
  const address = email("watch");
  const id = await registerAccount(h.deps, address, ["viewer"], PASSWORD);
  const client = consoleClient(send);
  const res = await client.signIn(address, PASSWORD);
  expect(res.location).toBe("/console");
  return { id, client };
}

describe("console pages", () => {
  it("serves a strict CSP with a fresh nonce per response, used by every script tag, and no inline style", async () => {
    const a = await send("/console/sign-in", {});
    const b = await send("/console/sign-in", {});
    const csp = a.headers.get("Content-Security-Policy")!;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(/'nonce-([^']+)'/.exec(b.headers.get("Content-Security-Policy")!)?.[1]).not.toBe(nonce);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await a.text();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      expect(s).toContain(`nonce="${nonce}"`);
      expect(s).toContain('src="/console/assets/');
    }
    expect(html).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/\sstyle="/);
  });

  it("sends a signed-out browser to sign-in", async () => {
    const res = await send("/console/users", { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/console/sign-in");
  });

  it("signs an admin in with the TOTP step into an httpOnly, Secure, SameSite=Strict cookie bound to a session", async () => {
    const { client, id } = await admin();
    const set = h.deps.config.env; // test: Secure cookies, as in production
    expect(set).toBe("test");
    const cookie = [...client.jar.keys()];
    expect(cookie).toEqual(["__Host-vigil-console"]);
    const overview = await client.get("/console");
    expect(overview.status).toBe(200);
    expect(overview.text).toContain("Failed logins");
    // The same login as the API: LoginSucceeded and SessionStarted for the admin.
    const events = await h.events();
    const started = events.filter(
      (e) => e.type === "SessionStarted" && (e.data as { userId: string }).userId === id,
    );
    expect(started).toHaveLength(2); // one from enrolment over the API, one from the console
  });

  it("sets the cookie flags", async () => {
    const address = email("watch");
    await registerAccount(h.deps, address, ["viewer"], PASSWORD);
    const res = await send("/console/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ email: address, password: PASSWORD }).toString(),
    });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-vigil-console="))!;
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\//i);
  });

  it("refuses an admin without two-factor and ends the session the login started", async () => {
    const address = email("plain-admin");
    const id = await registerAccount(h.deps, address, ["admin"], PASSWORD);
    const client = consoleClient(send);
    const res = await client.signIn(address, PASSWORD);
    expect(res.status).toBe(403);
    expect(res.text).toContain("two-factor");
    expect(client.jar.size).toBe(0);
    const revoked = (await h.events()).filter(
      (e) => e.type === "SessionRevoked" && (e.data as { userId: string }).userId === id,
    );
    expect(revoked).toHaveLength(1);
  });

  it("refuses an account without a console role", async () => {
    const address = email("someone");
    await registerAccount(h.deps, address, ["user"], PASSWORD);
    const res = await consoleClient(send).signIn(address, PASSWORD);
    expect(res.status).toBe(403);
    expect(res.text).toContain("no console access");
  });

  it("says when the password is wrong, through the same lockout count as the API", async () => {
    const address = email("watch");
    await registerAccount(h.deps, address, ["viewer"], PASSWORD);
    const res = await consoleClient(send).signIn(address, "not the password at all");
    expect(res.status).toBe(401);
    expect(res.text).toContain("incorrect");
    expect((await h.events()).some((e) => e.type === "LoginFailed")).toBe(true);
  });
});

describe("console actions", () => {
  it("unlocks a user through the admin command: the same AccountUnlocked, with the admin as actor and the reason", async () => {
    const { client, id: adminId } = await admin();
    const lockedEmail = email("locked");
    const victim = await registerAccount(h.deps, lockedEmail, ["user"], PASSWORD);
    for (let i = 0; i < 5; i++) {
      await send("/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: lockedEmail, password: "wrong password here" }),
      });
    }
    const page = await client.get(`/console/users/${victim}`);
    expect(page.text).toContain("locked until");
    const res = await client.post(`/console/users/${victim}/unlock`, {
      csrf: client.csrf(),
      reason: "called support",
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/console/users/${victim}?notice=unlocked`);
    const unlocked = (await h.events()).filter(
      (e) => e.type === "AccountUnlocked" && (e.data as { userId: string }).userId === victim,
    );
    expect(unlocked).toHaveLength(1);
    expect(unlocked[0]!.metadata.actor).toBe(`user:${adminId}`);
    expect(unlocked[0]!.metadata.reason).toBe("called support");
    expect((await client.get(`/console/users/${victim}`)).text).toContain("not locked");
  });

  it("refuses a form without the session's CSRF token, or from another site, even with the token", async () => {
    const { client } = await admin();
    const victim = await registerAccount(h.deps, email("v"), ["user"], PASSWORD);
    await client.get(`/console/users/${victim}`);
    const token = client.csrf();
    const path = `/console/users/${victim}/disable`;
    expect((await client.post(path, { reason: "x" })).status).toBe(403);
    expect((await client.post(path, { reason: "x", csrf: `${token.slice(0, -2)}AA` })).status).toBe(403);
    const crossSite = await client.post(
      path,
      { reason: "x", csrf: token },
      { "Sec-Fetch-Site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    const sameSite = await client.post(path, { reason: "x", csrf: token }, { "Sec-Fetch-Site": "same-site" });
    expect(sameSite.status).toBe(403);
    const otherOrigin = await client.post(
      path,
      { reason: "x", csrf: token },
      { "Sec-Fetch-Site": "", Origin: "https://evil.example" },
    );
    expect(otherOrigin.status).toBe(403);
    expect((await h.events()).some((e) => e.type === "UserDisabled" && e.streamId.endsWith(victim))).toBe(
      false,
    );
    // Another session's token is worthless here.
    const other = consoleClient(send);
    expect((await other.post(path, { reason: "x", csrf: token })).status).toBe(303); // no session: to sign-in
    expect((await other.post(path, { reason: "x", csrf: token })).location).toBe("/console/sign-in");
  });

  it("shows a viewer no action buttons and answers a forged post from the viewer with 403", async () => {
    const { client } = await viewer();
    const victim = await registerAccount(h.deps, email("v"), ["user"], PASSWORD);
    const page = await client.get(`/console/users/${victim}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("/unlock");
    expect(page.text).not.toContain('<button type="submit">Unlock');
    expect((await client.get("/console/alerts")).status).toBe(200);
    const res = await client.post(`/console/users/${victim}/disable`, {
      csrf: client.csrf(),
      reason: "forged",
    });
    expect(res.status).toBe(403);
    expect((await h.events()).some((e) => e.type === "UserDisabled" && e.streamId.endsWith(victim))).toBe(
      false,
    );
  });

  it("throws a revoked session out on the next request", async () => {
    const { client, id } = await admin();
    expect((await client.get("/console/users")).status).toBe(200);
    const { revokeUserSessions } = await import("../admin/commands.ts");
    await revokeUserSessions(h.deps, id, {
      actor: "system:test",
      ip: null,
      userAgent: null,
      requestId: null,
      correlationId: null,
      causationId: null,
    });
    const res = await client.get("/console/users");
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console/sign-in");
  });

  it("shows custody, governance and the ledger to the roles that read them", async () => {
    const { client } = await admin();
    for (const path of ["/console/custody", "/console/governance", "/console/ledger"]) {
      const page = await client.get(path);
      expect(page.status, path).toBe(200);
    }
    expect((await client.get("/console/ledger")).text).toContain("Sequencer lag");
    const { client: v } = await viewer();
    expect((await v.get("/console/custody")).status).toBe(200);
    expect((await v.get("/console/ledger")).status).toBe(403);
    expect((await v.get("/console")).text).not.toContain('href="/console/ledger"');
    const address = email("auditor");
    await registerAccount(h.deps, address, ["auditor"], PASSWORD);
    const auditor = consoleClient(send);
    expect((await auditor.signIn(address, PASSWORD)).location).toBe("/console");
    const ledger = await auditor.get("/console/ledger");
    expect(ledger.status).toBe(200);
    expect(ledger.text).toContain("No checkpoint yet");
  });

  it("streams new events to the live tail, filtered, and ends the stream once the session is revoked", async () => {
    const { client, id } = await admin();
    const cookie = [...client.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await send("/console/tail/stream?type=LoginFailed", { headers: { Cookie: cookie } });
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    const until = async (text: string) => {
      const deadline = Date.now() + 20_000;
      while (!seen.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in: ${seen}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before "${text}": ${seen}`);
        seen += value;
      }
    };
    await send("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "tail-probe@example.com", password: "not the password" }),
    });
    await until('"type":"LoginFailed"');
    expect(seen).not.toContain('"type":"LoginSucceeded"');
    const { revokeUserSessions } = await import("../admin/commands.ts");
    await revokeUserSessions(h.deps, id, {
      actor: "system:test",
      ip: null,
      userAgent: null,
      requestId: null,
      correlationId: null,
      causationId: null,
    });
    await until("event: ended");
    await reader.cancel();
  });

  it("renews the access token of a session still in use, keeping the same session", async () => {
    const { client } = await admin();
    const before = client.jar.get("__Host-vigil-console");
    h.clock.advance(60);
    await client.get("/console");
    expect(client.jar.get("__Host-vigil-console")).toBe(before); // plenty of life left: no new cookie
    h.clock.advance(h.deps.config.auth.accessTokenTtlSeconds * 0.7);
    const page = await client.get("/console/users");
    expect(page.status).toBe(200);
    const after = client.jar.get("__Host-vigil-console");
    expect(after).not.toBe(before);
    const sid = (t: string) => JSON.parse(atob(t.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).sid;
    expect(sid(after!)).toBe(sid(before!));
    expect((await client.get("/console/users")).status).toBe(200);
  });
});

describe("console cookies by environment", () => {
  it("drops Secure and the __Host- prefix only in development", () => {
    const deps = (env: string) => ({ config: { env } }) as unknown as AuthDeps;
    expect(cookieNames(deps("development"))).toEqual({ session: "vigil-console", mfa: "vigil-console-mfa" });
    expect(secure(deps("development"))).toBe(false);
    for (const env of ["test", "production"]) {
      expect(cookieNames(deps(env)).session).toBe("__Host-vigil-console");
      expect(secure(deps(env))).toBe(true);
    }
  });
});
