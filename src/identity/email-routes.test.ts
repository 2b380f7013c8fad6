/** The identity job routes: which events cause which email. */
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../events/types.ts";
import { createMemoryMailer } from "../../workers/email.ts";
import type { AppDeps } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createLinkTokens } from "../crypto/link-tokens.ts";
import { sha256Hex } from "../crypto/random.ts";
import { identityJobRoutes, LINK_EMAIL, linkEmailHandler } from "./email-routes.ts";

const event = (type: string, data: unknown): StoredEvent => ({
  position: { txId: "1", id: 1 },
  streamId: "user-0190aaaa-0000-7000-8000-000000000001",
  streamVersion: 2,
  eventId: "0190aaaa-0000-7000-8000-0000000000ee",
  type,
  schemaVersion: 1,
  data,
  metadata: {
    actor: "anonymous",
    ip: "203.0.113.7",
    userAgent: "Firefox\r\nBcc: evil@example.com",
    requestId: "r",
    correlationId: "r",
    causationId: "r",
  },
  recordedAt: new Date("2026-03-01T10:00:00.000Z"),
});

const jobsFor = (e: StoredEvent) =>
  identityJobRoutes.filter((r) => r.eventType === e.type).flatMap((r) => r.jobs(e));
const userId = "0190aaaa-0000-7000-8000-000000000001";

describe("identity email routes", () => {
  it("sends a new sign-in notice for a login from an unknown device, with the job id from the event", () => {
    const e = event("LoginSucceeded", {
      userId,
      sessionId: crypto.randomUUID(),
      deviceTrusted: false,
      email: "ada@example.com",
    });
    const [job, ...rest] = jobsFor(e);
    expect(rest).toEqual([]);
    expect(job).toMatchObject({ name: "email.send", id: `${e.eventId}/email.send` });
    expect(job!.data).toMatchObject({ to: "ada@example.com", subject: "New sign-in to your Vigil account" });
    const text = (job!.data as { text: string }).text;
    expect(text).toContain("203.0.113.7");
    expect(text).not.toMatch(/\r|\nBcc/);
  });

  it("stays quiet for a login from a trusted device", () => {
    const e = event("LoginSucceeded", {
      userId,
      sessionId: crypto.randomUUID(),
      deviceTrusted: true,
      email: "ada@example.com",
    });
    expect(jobsFor(e)).toEqual([]);
  });

  it("tells the owner when the account locks", () => {
    const e = event("AccountLocked", {
      userId,
      until: "2026-03-01T10:30:00.000Z",
      failures: 5,
      email: "ada@example.com",
    });
    const [job] = jobsFor(e);
    expect(job!.data).toMatchObject({ to: "ada@example.com", subject: "Your Vigil account was locked" });
    expect((job!.data as { text: string }).text).toContain("2026-03-01T10:30:00.000Z");
  });

  it("makes link jobs that carry the event id but no token; the handler derives the link when it sends", async () => {
    const links = createLinkTokens(new Uint8Array(32).fill(7));
    const e = event("PasswordResetRequested", {
      userId,
      tokenHash: "0".repeat(64),
      expiresAt: "2026-03-01T11:00:00.000Z",
      email: "ada@example.com",
      reason: "forgot_password",
    });
    const token = await links.derive("password_reset", e.eventId);
    const [job] = jobsFor(e);
    expect(job).toMatchObject({ name: LINK_EMAIL, id: `${e.eventId}/${LINK_EMAIL}` });
    expect(JSON.stringify(job)).not.toContain(token);

    const mailer = createMemoryMailer();
    const config = loadConfig({ NODE_ENV: "test", RESET_URL_TEMPLATE: "https://app.example.com/r/{token}" });
    const deps = { config, auth: { links }, clock: { now: () => new Date("2026-03-01T10:00:00.000Z") } };
    const handler = linkEmailHandler(deps as unknown as AppDeps, mailer);
    await handler(job!.data, { id: job!.id, name: job!.name, attempt: 1, maxAttempts: 5 });
    const [mail] = mailer.sent;
    expect(mail).toMatchObject({ to: "ada@example.com", subject: "Reset your Vigil password" });
    expect(mail!.text).toContain(`https://app.example.com/r/${token}`);
    expect(mail!.text).toContain("expires in 60 minutes");
    expect(mail!.text).toContain("203.0.113.7");
    expect(mail!.text).not.toMatch(/\r|\nBcc/);
    // The derived token is the one whose hash a real issue records.
    expect(sha256Hex(token)).toMatch(/^[0-9a-f]{64}$/);

    // A retry after the link expired sends nothing, for good.
    const late = { ...deps, clock: { now: () => new Date("2026-03-01T11:00:00.000Z") } };
    await expect(
      linkEmailHandler(late as unknown as AppDeps, mailer)(job!.data, {
        id: "x",
        name: LINK_EMAIL,
        attempt: 2,
        maxAttempts: 5,
      }),
    ).rejects.toThrow(/expired/);
  });

  it("sends a notice when the password is changed or reset", () => {
    for (const type of ["PasswordChanged", "PasswordResetCompleted"]) {
      const [job] = jobsFor(
        event(type, {
          userId,
          passwordHash: "$argon2id$x",
          tokenHash: "0".repeat(64),
          email: "ada@example.com",
        }),
      );
      expect(job!.data).toMatchObject({ to: "ada@example.com", subject: "Your Vigil password was changed" });
    }
  });
});
