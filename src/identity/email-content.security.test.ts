/**
 * Vigil's emails carry only what Vigil derived. A forgot-password request costs
 * an attacker nothing and reaches any address, so a User-Agent holding a
 * sentence and a link, or an admin's free-text reason, must never reach a mail
 * body or the job that sends it: the device is described in Vigil's words.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../events/types.ts";
import { createMemoryMailer } from "../../workers/email.ts";
import { describeUserAgent, UNKNOWN_DEVICE } from "../../workers/user-agent.ts";
import type { AppDeps } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createLinkTokens } from "../crypto/link-tokens.ts";
import { identityJobRoutes, linkEmailHandler } from "./email-routes.ts";
import { type IdentityHarness, identityHarness } from "./testing.ts";

const PHISH =
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 " +
  "Your account is suspended. Call +1 555 0100 or visit https://evil.example/restore?u=you now";

describe("describeUserAgent", () => {
  it.each([
    ["Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1",
      "Chrome on iOS",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    ["curl/8.5.0", "curl"],
    ["Visit https://evil.example and type your password", UNKNOWN_DEVICE],
    ["", UNKNOWN_DEVICE],
  ])("%s → %s", (ua, expected) => {
    expect(describeUserAgent(ua)).toBe(expected);
    // Describing a description changes nothing (jobs carry one; templates describe again).
    expect(describeUserAgent(describeUserAgent(ua))).toBe(expected);
  });

  it("says only what its vocabulary says, however long and odd the header", () => {
    const odd = `${"A".repeat(400)} https://x.example/${"b".repeat(100)}`;
    expect(describeUserAgent(odd)).toBe(UNKNOWN_DEVICE);
    expect(describeUserAgent(PHISH)).toBe("Firefox on Linux");
  });
});

describe("mail bodies over HTTP", () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await identityHarness({ env: { RATE_LIMITS_ENABLED: "false" } });
    await h.app.request("/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "plum harbour velvet 42" }),
    });
    await h.mail();
  }, 180_000);
  afterAll(() => h.close());

  const post = (path: string, body: unknown) =>
    h.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": PHISH },
      body: JSON.stringify(body),
    });

  it("a reset mail shows the device as Vigil describes it, never the sentence or the link", async () => {
    expect((await post("/v1/auth/password/forgot", { email: "ada@example.com" })).status).toBe(202);
    const [mail] = (await h.mail()).filter((m) => m.subject === "Reset your Vigil password");
    expect(mail!.text).toContain("Device: Firefox on Linux");
    expect(mail!.text).not.toMatch(/evil\.example|suspended|555 0100|Gecko/);
    // The only link is Vigil's own.
    expect(mail!.text.match(/https?:\/\/\S+/g)).toEqual([
      expect.stringMatching(/^http:\/\/localhost:3000\//),
    ]);
  });

  it("a new sign-in notice and a lock notice say the same, and nothing more", async () => {
    expect(
      (await post("/v1/auth/login", { email: "ada@example.com", password: "plum harbour velvet 42" })).status,
    ).toBe(200);
    for (let i = 0; i < 5; i++)
      await post("/v1/auth/login", { email: "ada@example.com", password: "wrong guess 1" });
    const mails = await h.mail();
    expect(mails.map((m) => m.subject)).toEqual(
      expect.arrayContaining(["New sign-in to your Vigil account", "Your Vigil account was locked"]),
    );
    for (const m of mails) {
      expect(m.text).not.toMatch(/evil\.example|suspended|https?:/);
      expect(m.text.length).toBeLessThan(1200);
    }
  });
});

describe("an administrator's reason", () => {
  it("stays in the log: the reset job and mail carry a kind, not the text", async () => {
    const e: StoredEvent = {
      position: { txId: "1", id: 1 },
      streamId: "user-0190aaaa-0000-7000-8000-000000000001",
      streamVersion: 2,
      eventId: "0190aaaa-0000-7000-8000-0000000000ee",
      type: "PasswordResetRequested",
      schemaVersion: 1,
      data: {
        userId: "0190aaaa-0000-7000-8000-000000000001",
        tokenHash: "0".repeat(64),
        expiresAt: "2026-03-01T11:00:00.000Z",
        email: "ada@example.com",
        reason: "leak - see https://evil.example/x and reply with your password",
      },
      metadata: {
        actor: "user:admin",
        ip: "203.0.113.7",
        userAgent: PHISH,
        requestId: "r",
        correlationId: "r",
        causationId: "r",
      },
      recordedAt: new Date("2026-03-01T10:00:00.000Z"),
    };
    const [job] = identityJobRoutes.filter((r) => r.eventType === e.type).flatMap((r) => r.jobs(e));
    expect(JSON.stringify(job!.data)).not.toMatch(/evil\.example|suspended|Gecko/);
    expect(job!.data).toMatchObject({ reason: "administrator", device: "Firefox on Linux" });

    const mailer = createMemoryMailer();
    const deps = {
      config: loadConfig({ NODE_ENV: "test" }),
      auth: { links: createLinkTokens(new Uint8Array(32).fill(7)) },
      clock: { now: () => new Date("2026-03-01T10:00:00.000Z") },
    };
    await linkEmailHandler(deps as unknown as AppDeps, mailer)(job!.data, {
      id: job!.id,
      name: job!.name,
      attempt: 1,
      maxAttempts: 5,
    });
    const text = mailer.sent[0]!.text;
    expect(text).toContain("An administrator of Vigil asked you to set a new password");
    expect(text).not.toMatch(/evil\.example|reply with/);
  });
});
