/**
 * The hosted pages end to end: the runtime mails real links over SMTP to the
 * catcher; each link opens its page; the page's form goes to the API exactly
 * as pages.js sends it (the inputs with a name, as JSON, to `data-api`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { type App, createApp } from "../app.ts";
import { identityFeature } from "../identity/feature.ts";
import { client } from "../identity/testing.ts";
import { pagesFeature } from "./feature.tsx";
import { linkIn } from "./testing.ts";

const EMAIL = "grace@example.com";
const FIRST = "plum-harbour-velvet-42";
const SECOND = "copper lantern meadow 77";

const ORIGIN = "https://vigil.example.com";

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

/** Opens the page at a mailed link and submits its form as pages.js does. */
async function submitPage(app: App, link: string, fields: Record<string, string> = {}) {
  const page = await app.request(link);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = /<form\b[^>]*>/.exec(html)![0];
  const body: Record<string, string> = {};
  for (const [input] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(input, "name");
    if (name) body[name] = attr(input, "value") ?? fields[name] ?? "";
  }
  const res = await app.request(attr(form, "data-api")!, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(runtimeCases())("hosted pages end to end on $name", (rc) => {
  let live: LiveRuntime | undefined;
  afterEach(() => live?.close());

  it("verifies an email and sets a new password through the mailed links' pages", async () => {
    live = await startLiveRuntime(rc, {
      PUBLIC_URL: ORIGIN,
      // argon2id at production parameters on a loaded 2-core runner can pass the 10 s default.
      REQUEST_TIMEOUT_MS: "60000",
      REQUIRE_EMAIL_VERIFICATION: "true",
    });
    const app = createApp(live.rt.deps, [identityFeature, pagesFeature]);
    const api = client(app);
    expect((await api.register(EMAIL, FIRST)).status).toBe(201);

    const verifyLink = await linkIn(
      live.smtp,
      "Confirm your email address for Vigil",
      ORIGIN,
      "/verify-email",
    );
    // Opening the page (as a link scanner would) spends nothing: the address is still unverified.
    expect((await app.request(verifyLink)).status).toBe(200);
    expect((await api.login(EMAIL, FIRST)).body).toMatchObject({ code: "email_not_verified" });
    const verified = await submitPage(app, verifyLink);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ emailVerified: true });
    // The token worked once.
    expect((await submitPage(app, verifyLink)).body).toMatchObject({ code: "invalid_token" });
    expect((await api.login(EMAIL, FIRST)).status).toBe(200);

    expect((await api.call("POST", "/v1/auth/password/forgot", { email: EMAIL })).status).toBe(202);
    const resetLink = await linkIn(live.smtp, "Reset your Vigil password", ORIGIN, "/reset-password");
    // The policy's own messages come back for the page to show.
    const weak = await submitPage(app, resetLink, { newPassword: "password1234" });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: "password_policy" });
    expect((weak.body.errors as { message: string }[]).length).toBeGreaterThan(0);
    const reset = await submitPage(app, resetLink, { newPassword: SECOND });
    expect(reset).toMatchObject({ status: 200, body: { status: "password_reset" } });
    expect((await api.login(EMAIL, FIRST)).status).toBe(401);
    expect((await api.login(EMAIL, SECOND)).status).toBe(200);
  }, 240_000);
});
