/**
 * Identity end to end, through the real wiring: the runtime with its background
 * workers (dispatcher, job runner) sending over SMTP to an in-process catcher,
 * argon2id at production parameters, and the SessionGuard of the runtime
 * (memory on the embedded default; Redis when TEST_REDIS_URL is set, with
 * Postgres from TEST_DATABASE_URL). Links are read out of the received mail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import type { CaughtMail, SmtpCatcher } from "../../workers/testing/smtp-catcher.ts";
import { createApp } from "../app.ts";
import { identityFeature } from "./feature.ts";
import { client, PASSWORD } from "./testing.ts";

/** The text body, decoded from the transfer encoding nodemailer chose. */
function bodyText(m: CaughtMail): string {
  const enc = (m.headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (enc === "base64")
    return new TextDecoder().decode(
      Uint8Array.from(atob(m.body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
    );
  if (enc === "quoted-printable") {
    return m.body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
  return m.body;
}

async function mailFor(smtp: SmtpCatcher, subject: string, nth = 1): Promise<string> {
  const until = Date.now() + 15_000;
  for (;;) {
    const found = smtp.messages.filter((m) => m.headers.subject === subject);
    if (found.length >= nth) {
      expect(found[nth - 1]!.to).toEqual(["ada@example.com"]);
      return bodyText(found[nth - 1]!);
    }
    if (Date.now() > until)
      throw new Error(`no mail "${subject}" #${nth}; got ${smtp.messages.map((m) => m.headers.subject)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const tokenIn = (text: string, path: string) => {
  const url = new RegExp(`https://app\\.example\\.com${path}\\?token=([A-Za-z0-9_-]{43})`).exec(text);
  if (!url) throw new Error(`no ${path} link in: ${text}`);
  return url[1]!;
};

describe.each(runtimeCases())("identity end to end on $name", (rc) => {
  let live: LiveRuntime | undefined;
  afterEach(() => live?.close());

  it("register, verify by the mailed link, log in, refresh, change the password, reset it by mail", async () => {
    live = await startLiveRuntime(rc, {
      PUBLIC_URL: "https://app.example.com",
      REQUIRE_EMAIL_VERIFICATION: "true",
    });
    const { rt, smtp } = live;
    const api = client(createApp(rt.deps, [identityFeature]));

    // Register; login waits for the address to be verified.
    expect((await api.register("ada@example.com", PASSWORD)).status).toBe(201);
    expect((await api.login("ada@example.com", PASSWORD)).body).toMatchObject({ code: "email_not_verified" });
    const verifyToken = tokenIn(await mailFor(smtp, "Confirm your email address for Vigil"), "/verify-email");
    const verified = await api.call("POST", "/v1/auth/email/verify", { token: verifyToken });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ emailVerified: true });

    // Two sessions; the first one refreshed.
    const first = await api.login("ada@example.com", PASSWORD);
    expect(first.status).toBe(200);
    const refreshed = await api.refresh(first.body!.refreshToken);
    expect(refreshed.status).toBe(200);
    const a = refreshed.body!;
    const b = (await api.login("ada@example.com", PASSWORD)).body!;
    const list = await api.call("GET", "/v1/sessions", undefined, api.bearer(b.accessToken));
    expect(list.body!.sessions.map((s: { id: string; current: boolean }) => [s.id, s.current])).toEqual([
      [a.sessionId, false],
      [b.sessionId, true],
    ]);

    // Change the password from B: A dies at once, B lives.
    const NEW = "lantern-orchard-basalt-77";
    const changed = await api.call(
      "POST",
      "/v1/auth/password/change",
      { currentPassword: PASSWORD, newPassword: NEW },
      api.bearer(b.accessToken),
    );
    expect(changed.status).toBe(200);
    expect((await api.me(a.accessToken)).body).toMatchObject({ status: 401, code: "session_revoked" });
    expect((await api.refresh(a.refreshToken)).status).toBe(401);
    expect((await api.me(b.accessToken)).status).toBe(200);
    expect(await mailFor(smtp, "Your Vigil password was changed")).toContain(
      "other sessions were signed out",
    );

    // Forgot → mailed reset link → new password; every session ends.
    expect((await api.call("POST", "/v1/auth/password/forgot", { email: "ada@example.com" })).status).toBe(
      202,
    );
    const resetToken = tokenIn(await mailFor(smtp, "Reset your Vigil password"), "/reset-password");
    const FINAL = "granite-meadow-copper-31";
    const reset = await api.call("POST", "/v1/auth/password/reset", {
      token: resetToken,
      newPassword: FINAL,
    });
    expect(reset.status).toBe(200);
    expect((await api.me(b.accessToken)).body).toMatchObject({ code: "session_revoked" });
    expect((await api.login("ada@example.com", NEW)).status).toBe(401);
    expect((await api.login("ada@example.com", FINAL)).status).toBe(200);
    expect(
      (
        await api.call("POST", "/v1/auth/password/reset", {
          token: resetToken,
          newPassword: "x-other-pass-phrase-9",
        })
      ).body,
    ).toMatchObject({ code: "invalid_token" });
    expect(await mailFor(smtp, "Your Vigil password was changed", 2)).toContain("reset with an emailed link");
  }, 60_000);
});
