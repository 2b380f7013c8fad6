/**
 * The console in a real browser: Debian's Chromium driven by playwright-core
 * (never a downloaded browser) against the whole runtime, background workers
 * included, served on 127.0.0.1 on a free port. It signs an admin in with
 * TOTP, watches a failed-login burst reach the overview and the live tail,
 * acknowledges the alert the burst raised, unlocks a user, lifts a ban; a
 * viewer sees no buttons and a forged post from it gets 403; a cross-site
 * form post is refused; a revoked session is thrown out on the next click.
 * Screenshots of every page at desktop and phone width go to .ci/screenshots/.
 *
 * Runs on the embedded default (the page flows do not depend on the database
 * engine; the real-service suites cover that). Skips, saying so, when
 * /usr/bin/chromium is absent: CI installs it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpServer, listen } from "../../test/helpers/http-server.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { revokeUserSessions } from "../admin/commands.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";
import { PASSWORD } from "../identity/testing.ts";
import { codeAt } from "../mfa/totp.ts";
import { banStream } from "../security/bans/ban.ts";
import { enrollTotp, registerAccount, type Send } from "./testing.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const SHOTS = fileURLToPath(new URL("../../.ci/screenshots/", import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

if (!hasChromium)
  console.warn(`console browser suite skipped: ${CHROMIUM} is not installed (CI installs it)`);

describe.skipIf(!hasChromium)("the console in Chromium (skipped without /usr/bin/chromium)", () => {
  let live: LiveRuntime;
  let server: HttpServer;
  let attacker: HttpServer;
  let browser: Browser;
  let send: Send;
  const ids: Record<string, string> = {};
  let secret = "";

  /** A request to the API from a given client address (the server trusts 127.0.0.1 as its proxy). */
  const fromIp = (ip: string, path: string, body: unknown) =>
    send(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": ip },
      body: JSON.stringify(body),
    });

  async function shoot(page: Page, name: string): Promise<void> {
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: `${SHOTS}${name}-desktop.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: `${SHOTS}${name}-phone.png`, fullPage: true });
    await page.setViewportSize(DESKTOP);
  }

  async function signIn(context: BrowserContext, email: string, totp?: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.base}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    if (totp) {
      await page.waitForURL("**/console/sign-in/totp");
      await page.getByLabel("Code").fill(codeAt(totp, Date.now() + 30_000));
      await page.getByRole("button", { name: "Verify" }).click();
    }
    await page.waitForURL(`${server.base}/console`);
    return page;
  }

  /** Reloads until `check` passes: the log → projections → threat rules path is asynchronous. */
  async function eventually(page: Page, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error("timed out waiting for the page to show it");
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
    }
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    live = await startLiveRuntime(runtimeCases()[0]!, { TRUSTED_PROXIES: "127.0.0.1" });
    const app = createApp(live.rt.deps, features);
    server = await listen(app.fetch);
    send = (path, init) => fetch(`${server.base}${path}`, init);
    const deps = { store: live.rt.deps.store, auth: live.rt.deps.auth! };
    ids.admin = await registerAccount(deps, "soc@example.com", ["admin"], PASSWORD);
    ids.viewer = await registerAccount(deps, "watch@example.com", ["viewer"], PASSWORD);
    ids.victim = await registerAccount(deps, "locked@example.com", ["user"], PASSWORD);
    secret = await enrollTotp(send, "soc@example.com", PASSWORD, Date.now());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-background-networking"],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await attacker?.close();
    await server?.close();
    await live?.close();
  });

  it("runs an admin's shift and keeps a viewer read-only", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    // Sign-in pages first, signed out.
    const signInPage = await context.newPage();
    await signInPage.goto(`${server.base}/console/sign-in`);
    await shoot(signInPage, "sign-in");
    await signInPage.close();

    const page = await signIn(context, "soc@example.com", secret);
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ["__Host-vigil-console", true, "Strict"],
    ]);

    // A failed-login burst: one address failing on six accounts (credential stuffing).
    for (let i = 0; i < 6; i++) {
      const res = await fromIp("203.0.113.66", "/v1/auth/login", {
        email: `employee${i}@example.com`,
        password: "Summer2026!",
      });
      expect(res.status).toBe(401);
    }
    const failedHour = () => page.locator('[data-series="failed"] [data-window="hour"]').textContent();
    await eventually(page, async () => Number.parseInt((await failedHour()) ?? "", 10) >= 6);
    await shoot(page, "overview");

    // The live tail: new failures from another address arrive over SSE without a reload.
    await page.getByRole("link", { name: "Live tail" }).click();
    await page.getByLabel("Event types (comma-separated)").fill("LoginFailed");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("#tail-status").textContent()).toContain("Live");
    await fromIp("198.51.100.77", "/v1/auth/login", { email: "nobody@example.com", password: "Summer2026!" });
    await page.locator("#tail-rows tr", { hasText: "198.51.100.77" }).first().waitFor({ timeout: 15_000 });
    expect(await page.locator("#tail-rows tr", { hasText: "203.0.113.66" }).count()).toBeGreaterThanOrEqual(
      6,
    );
    await shoot(page, "tail");

    // The alert the burst raised: acknowledge it with a reason.
    await page.getByRole("link", { name: "Alerts" }).click();
    const alertRow = page.locator('tr[data-rule="credential_stuffing"]');
    await eventually(page, async () => (await alertRow.count()) > 0);
    await shoot(page, "alerts");
    await alertRow.getByLabel("Reason to acknowledge").fill("known pen test, ticket SEC-42");
    await alertRow.getByRole("button", { name: "Acknowledge" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("Alert acknowledged.");
    await page.goto(`${server.base}/console/alerts?status=acknowledged`);
    expect(await page.locator('tr[data-rule="credential_stuffing"] [data-status]').textContent()).toBe(
      "acknowledged",
    );

    // Unlock a user locked by five failed logins.
    for (let i = 0; i < 5; i++) {
      await fromIp("198.51.100.20", "/v1/auth/login", {
        email: "locked@example.com",
        password: "wrong password!!",
      });
    }
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByLabel("Email starts with").fill("locked");
    await page.getByRole("button", { name: "Search" }).click();
    await shoot(page, "users");
    await page.getByRole("link", { name: "locked@example.com" }).click();
    expect(await page.locator("[data-lockout]").textContent()).toContain("locked until");
    await shoot(page, "user");
    await page.locator("#unlock-reason").fill("verified by phone");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("User unlocked.");
    expect(await page.locator("[data-lockout]").textContent()).toContain("not locked");

    // Lift a ban.
    const banned = "203.0.113.99";
    await live.rt.deps.store.append(
      banStream(banned),
      "any",
      [
        {
          type: "IpBanned",
          data: {
            ip: banned,
            until: new Date(Date.now() + 3_600_000).toISOString(),
            failures: 51,
            rule: "ip_ban",
          },
        },
      ],
      {
        actor: "system:threats",
        ip: null,
        userAgent: null,
        requestId: null,
        correlationId: null,
        causationId: null,
      },
    );
    await page.getByRole("link", { name: "IP bans" }).click();
    const banRow = page.locator(`tr[data-ban="${banned}"]`);
    expect(await banRow.count()).toBe(1);
    await shoot(page, "bans");
    await banRow.getByLabel("Reason to lift ban").fill("office NAT, not an attacker");
    await banRow.getByRole("button", { name: "Lift ban" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("Ban lifted.");
    expect(await banRow.count()).toBe(0);

    // A cross-site form post (another origin, even one the SameSite cookie still reaches) is refused.
    attacker = await listen(
      () =>
        new Response(
          `<!doctype html><form id="f" method="post" action="${server.base}/console/users/${ids.victim}/disable">
           <input name="csrf" value="guessed"><input name="reason" value="pwned"></form>
           <script>document.getElementById("f").submit()</script>`,
          { headers: { "Content-Type": "text/html" } },
        ),
    );
    const evil = await context.newPage();
    const refused = evil.waitForResponse((r) => r.url().endsWith(`/users/${ids.victim}/disable`));
    await evil.goto(attacker.base.replace("127.0.0.1", "localhost"));
    expect((await refused).status()).toBe(403);
    await evil.close();
    await page.goto(`${server.base}/console/users/${ids.victim}`);
    expect(await page.locator("[data-status]").textContent()).toBe("active");

    // A viewer: every page, no action button, and a forged post answered 403.
    const viewerContext = await browser.newContext({ viewport: DESKTOP });
    const vpage = await signIn(viewerContext, "watch@example.com");
    await vpage.goto(`${server.base}/console/users/${ids.victim}`);
    expect(await vpage.locator("form.action").count()).toBe(0);
    await vpage.goto(`${server.base}/console/alerts?status=all`);
    expect(await vpage.getByRole("button", { name: /Acknowledge|Resolve/ }).count()).toBe(0);
    await shoot(vpage, "alerts-viewer");
    const forged = vpage.waitForResponse((r) => r.url().endsWith(`/users/${ids.victim}/disable`));
    await vpage.evaluate((action) => {
      const f = document.createElement("form");
      f.method = "post";
      f.action = action;
      for (const [name, value] of [
        ["csrf", (document.querySelector('input[name="csrf"]') as HTMLInputElement).value],
        ["reason", "forged by a viewer"],
      ]) {
        const input = document.createElement("input");
        input.name = name!;
        input.value = value!;
        f.append(input);
      }
      document.body.append(f);
      f.submit();
    }, `/console/users/${ids.victim}/disable`);
    expect((await forged).status()).toBe(403);
    await viewerContext.close();

    // Custody and governance (read-only), and the ledger's export with its progress.
    await page.getByRole("link", { name: "Custody" }).click();
    await shoot(page, "custody");
    await page.getByRole("link", { name: "Governance" }).click();
    await shoot(page, "governance");
    await page.getByRole("link", { name: "Ledger" }).click();
    await eventually(page, async () => (await page.locator("[data-tree-size]").count()) > 0);
    await page.getByRole("button", { name: "Export the whole ledger" }).click();
    const exportRow = page.locator("tr[data-export]").first();
    await eventually(
      page,
      async () => ((await exportRow.textContent()) ?? "").includes("completed 100%"),
      60_000,
    );
    await shoot(page, "ledger");

    // Revoked (here by an admin command, as from another console or the API): out on the next click.
    await revokeUserSessions(live.rt.deps as never, ids.admin!, {
      actor: "system:test",
      ip: null,
      userAgent: null,
      requestId: null,
      correlationId: null,
      causationId: null,
    });
    await page.getByRole("link", { name: "Overview" }).click();
    await page.waitForURL("**/console/sign-in");
    await context.close();
  }, 300_000);
});
