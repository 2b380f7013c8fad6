/** The hosted pages through app.request(): status, CSP nonces, no inline script, escaping, the off switch. */
import { describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { createApp } from "../app.ts";
import { codeInMail, invitationEmail } from "../custody/jobs.ts";
import { testDeps } from "../http/test-app.ts";
import { pagesFeature } from "./feature.tsx";
import { VerifyEmailPage } from "./verify-email.tsx";

// The pages read no table: a database that refuses every query proves it.
const noDb: Db = {
  kind: "pglite",
  query: () => Promise.reject(new Error("the hosted pages must not query the database")),
  transaction: () => Promise.reject(new Error("the hosted pages must not query the database")),
  reserve: () => Promise.reject(new Error("the hosted pages must not query the database")),
  close: async () => {},
};

async function app(env: Record<string, string> = {}) {
  return createApp(await testDeps(env, { db: noDb }), [pagesFeature]);
}

const TOKEN = "q3W1abcdefghijklmnopqrstuvwxyz_-0123456789AB";

/** Every <script> tag of a page, with its attributes and body. */
function scripts(html: string) {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({
    attrs: m[1]!,
    body: m[2]!,
  }));
}

async function expectStrictPage(res: Response) {
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const csp = res.headers.get("content-security-policy")!;
  const nonce = /script-src 'nonce-([A-Za-z0-9_-]{20,})'/.exec(csp)?.[1];
  expect(nonce).toBeDefined();
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(csp).toMatch(/default-src 'none'/);
  expect(csp).toMatch(/frame-ancestors 'none'/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  const html = await res.text();
  expect(html.startsWith("<!doctype html>")).toBe(true);
  const tags = scripts(html);
  expect(tags.length).toBeGreaterThan(0);
  for (const t of tags) {
    // Only scripts served by Vigil, each with this response's nonce, and nothing inline.
    expect(t.attrs).toContain(`nonce="${nonce}"`);
    expect(t.attrs).toContain('src="/pages/pages.js"');
    expect(t.body.trim()).toBe("");
  }
  expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers either
  expect(html).not.toMatch(/<style\b|\sstyle=/i);
  return { html, nonce: nonce! };
}

describe("hosted pages", () => {
  it("serves the verification page: a form that POSTs the token to the API, nothing spent by opening it", async () => {
    const res = await (await app()).request(`/verify-email?token=${TOKEN}`);
    expect(res.status).toBe(200);
    const { html } = await expectStrictPage(res);
    expect(html).toMatch(/<form[^>]*data-api="\/v1\/auth\/email\/verify"/);
    expect(html).toContain(`<input type="hidden" name="token" value="${TOKEN}"`);
    expect(html).toMatch(/<button type="submit">Confirm my email address<\/button>/);
  });

  it("serves the set-password page with the policy's limits", async () => {
    const res = await (await app()).request(`/reset-password?token=${TOKEN}`);
    expect(res.status).toBe(200);
    const { html } = await expectStrictPage(res);
    expect(html).toMatch(/<form[^>]*data-api="\/v1\/auth\/password\/reset"/);
    expect(html).toMatch(
      /<input id="newPassword" name="newPassword" type="password"[^>]*minlength="12" maxlength="128"/,
    );
    expect(html).toMatch(/<label for="newPassword">/);
    expect(html).toContain(`value="${TOKEN}"`);
  });

  it("serves the custody invitation page, which explains how to redeem", async () => {
    const res = await (await app()).request("/accept-invitation");
    expect(res.status).toBe(200);
    const { html } = await expectStrictPage(res);
    expect(html).toContain("POST /v1/custody/invitations/redeem");
  });

  it("gives every response a fresh nonce", async () => {
    const a = await app();
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++)
      nonces.add((await expectStrictPage(await a.request("/accept-invitation"))).nonce);
    expect(nonces.size).toBe(5);
  });

  it("never puts a malformed token into the page", async () => {
    const a = await app();
    for (const path of ["/verify-email", "/reset-password"]) {
      for (const bad of ['"><script>alert(1)</script>', "x' onmouseover='alert(1)", ""]) {
        const res = await a.request(`${path}?token=${encodeURIComponent(bad)}`);
        expect(res.status).toBe(400);
        const { html } = await expectStrictPage(res);
        expect(html).toContain("This link is incomplete");
        expect(html).not.toContain("alert(1)");
        expect(html).not.toMatch(/name="token"/);
      }
    }
  });

  it("escapes the token in the page markup", () => {
    const html = String(VerifyEmailPage({ nonce: "n", token: '"><script>alert(1)</script>' }));
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it("serves its script and stylesheet itself, as files, never inline", async () => {
    const a = await app();
    const js = await a.request("/pages/pages.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await js.text();
    expect(code).toContain("fetch(");
    expect(code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    const css = await a.request("/pages/pages.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("spends nothing on a GET: other methods on a page are refused", async () => {
    const res = await (await app()).request(`/verify-email?token=${TOKEN}`, { method: "POST" });
    expect(res.status).toBe(405);
  });

  it("is switched off with HOSTED_PAGES=false, for apps with their own pages", async () => {
    const a = await app({ HOSTED_PAGES: "false" });
    for (const path of [
      `/verify-email?token=${TOKEN}`,
      `/reset-password?token=${TOKEN}`,
      "/accept-invitation",
      "/pages/pages.js",
    ]) {
      const res = await a.request(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    }
  });

  it("is where the custody invitation email points, when it is served", () => {
    const at = new Date("2026-01-02T00:00:00Z");
    const code = "c".repeat(43);
    const mail = invitationEmail("g@example.com", code, at, "https://vigil.example.com/accept-invitation");
    expect(mail.text).toContain(
      "What this is and how to accept it: https://vigil.example.com/accept-invitation",
    );
    expect(codeInMail(mail.text)).toBe(code);
    expect(invitationEmail("g@example.com", code, at).text).not.toMatch(/accept-invitation/);
  });
});
