/** The identity job routes: which events cause which email. */
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../events/types.ts";
import { identityJobRoutes } from "./email-routes.ts";

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
});
