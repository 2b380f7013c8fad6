/**
 * The hosted pages in a real browser (Debian's chromium, driven by
 * playwright-core; never a downloaded browser): pages.js runs under the strict
 * CSP, sends the forms to the API over HTTP and shows the answers. The links
 * come by SMTP from the runtime, as a user's would.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpServer, listen } from "../../test/helpers/http-server.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import type { SmtpCatcher } from "../../workers/testing/smtp-catcher.ts";
import { createApp } from "../app.ts";
import { identityFeature } from "../identity/feature.ts";
import { client } from "../identity/testing.ts";
import { pagesFeature } from "./feature.tsx";
import { linkIn } from "./testing.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;
const EMAIL = "hedy@example.com";
// Polls wait on argon2id and the API: seconds, on a loaded runner.
const SLOW = { timeout: 60_000 };

const ORIGIN = "https://vigil.example.com";
const link = (smtp: SmtpCatcher, subject: string, path: string) => linkIn(smtp, subject, ORIGIN, path);

describe.skipIf(missing !== undefined)(
  `hosted pages in Chromium${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let live: LiveRuntime;
    let server: HttpServer;
    let browser: Browser;
    const cspViolations: string[] = [];

    beforeAll(async () => {
      const [rc] = runtimeCases();
      live = await startLiveRuntime(rc!, {
        PUBLIC_URL: ORIGIN,
        // argon2id at production parameters on a loaded 2-core runner can pass the 10 s default.
        REQUEST_TIMEOUT_MS: "60000",
      });
      server = await listen(createApp(live.rt.deps, [identityFeature, pagesFeature]).fetch);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await live?.close();
    });

    async function open(path: string): Promise<Page> {
      const page = await browser.newPage();
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      await page.goto(server.base + path);
      return page;
    }

    it("confirms an email with the button, and sets a new password with the form", async () => {
      const api = client(createApp(live.rt.deps, [identityFeature]));
      expect((await api.register(EMAIL, "plum-harbour-velvet-42")).status).toBe(201);

      const verify = await open(
        await link(live.smtp, "Confirm your email address for Vigil", "/verify-email"),
      );
      // The script ran (the CSP let it): the token is gone from the address bar.
      await expect.poll(() => new URL(verify.url()).search, SLOW).toBe("");
      await verify.getByRole("button", { name: "Confirm my email address" }).click();
      await expect
        .poll(() => verify.locator("#status").textContent(), SLOW)
        .toMatch(/email address is confirmed/);
      expect(await verify.locator("form").isHidden()).toBe(true);

      expect((await api.call("POST", "/v1/auth/password/forgot", { email: EMAIL })).status).toBe(202);
      const reset = await open(await link(live.smtp, "Reset your Vigil password", "/reset-password"));
      const fill = async (a: string, b: string) => {
        await reset.getByLabel("New password", { exact: true }).fill(a);
        await reset.getByLabel("Repeat the new password").fill(b);
        await reset.getByRole("button", { name: "Set the password" }).click();
      };
      await fill("copper lantern meadow 77", "copper lantern meadow 78");
      await expect.poll(() => reset.locator("#status").textContent(), SLOW).toBe("The two passwords differ.");
      // The policy's own message, from the API.
      await fill("password1234", "password1234");
      await expect.poll(() => reset.locator("#status li").count(), SLOW).toBeGreaterThan(0);
      expect(await reset.locator("#status").getAttribute("class")).toBe("notice error");
      await fill("copper lantern meadow 77", "copper lantern meadow 77");
      await expect.poll(() => reset.locator("#status").textContent(), SLOW).toMatch(/Your password is set/);
      expect((await api.login(EMAIL, "copper lantern meadow 77")).status).toBe(200);
      expect(cspViolations).toEqual([]);
    }, 240_000);
  },
);
