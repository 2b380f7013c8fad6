/** The password-reset API other features call (admin-required reset, bootstrap admin's link). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemMeta as meta } from "../../test/fixtures/events.ts";
import { loadConfig } from "../config.ts";
import { completePasswordReset, issuePasswordReset, resetUrl } from "./password-reset.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "./testing.ts";

const NEW_PASSWORD = "lantern-orchard-basalt-77";

let h: IdentityHarness;
let userId: string;
beforeEach(async () => {
  h = await identityHarness();
  userId = (await client(h.app).register("ada@example.com", PASSWORD)).body!.id;
});
afterEach(() => h.close());

describe("issuePasswordReset", () => {
  it("returns a token whose hash alone is recorded, usable once to set a new password", async () => {
    const { token, expiresAt } = await issuePasswordReset(h.deps, userId, meta, { reason: "admin_required" });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime() - h.clock.now().getTime()).toBe(3600_000);
    const events = await h.events();
    const requested = events.find((e) => e.type === "PasswordResetRequested")!;
    expect(requested.data).toMatchObject({ userId, email: "ada@example.com", reason: "admin_required" });
    expect(JSON.stringify(events)).not.toContain(token);

    await completePasswordReset(h.deps, token, NEW_PASSWORD, meta);
    expect((await client(h.app).login("ada@example.com", NEW_PASSWORD)).status).toBe(200);
    await expect(
      completePasswordReset(h.deps, token, "another-fine-passphrase-9", meta),
    ).rejects.toMatchObject({
      code: "invalid_token",
    });
  });

  it("honours a caller's lifetime (bootstrap links), bounded", async () => {
    const { token, expiresAt } = await issuePasswordReset(h.deps, userId, meta, { ttlSeconds: 7 * 86_400 });
    expect(expiresAt.getTime() - h.clock.now().getTime()).toBe(7 * 86_400_000);
    h.clock.advance(6 * 86_400);
    await completePasswordReset(h.deps, token, NEW_PASSWORD, meta);
    await expect(issuePasswordReset(h.deps, userId, meta, { ttlSeconds: 5 })).rejects.toThrow(RangeError);
    await expect(issuePasswordReset(h.deps, crypto.randomUUID(), meta)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("builds the link from PUBLIC_URL or RESET_URL_TEMPLATE", () => {
    expect(resetUrl({ config: loadConfig({ NODE_ENV: "test" }) }, "abc")).toBe(
      "http://localhost:3000/reset-password?token=abc",
    );
    expect(
      resetUrl({ config: loadConfig({ NODE_ENV: "test", PUBLIC_URL: "https://app.example.com/" }) }, "t"),
    ).toBe("https://app.example.com/reset-password?token=t");
    const custom = loadConfig({ NODE_ENV: "test", RESET_URL_TEMPLATE: "https://x.example/#/reset/{token}" });
    expect(resetUrl({ config: custom }, "t-_1")).toBe("https://x.example/#/reset/t-_1");
    expect(() => loadConfig({ NODE_ENV: "test", RESET_URL_TEMPLATE: "https://x.example/reset" })).toThrow(
      /RESET_URL_TEMPLATE/,
    );
  });
});
