import { describe, expect, it } from "vitest";
import { createDeviceTokens } from "./device-token.ts";
import { base64UrlDecode, base64UrlEncode, randomBytes } from "./random.ts";

function setup(ttlSeconds?: number) {
  let now = new Date("2030-01-01T00:00:00Z").getTime();
  const clock = () => new Date(now);
  const key = randomBytes(32);
  const tokens = createDeviceTokens({ key, clock, ttlSeconds });
  return { tokens, key, clock, advance: (s: number) => (now += s * 1000) };
}

describe("device tokens", () => {
  it("issues a token that verifies for its user, with a fresh device id each time", async () => {
    const { tokens } = setup();
    const a = await tokens.issue("user-1");
    const b = await tokens.issue("user-1");
    expect(a).toMatch(/^d1\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(a).not.toContain("user-1");
    expect(await tokens.verify(a, "user-1")).toBe(true);
    expect(tokens.deviceIdOf(a)).not.toBe(tokens.deviceIdOf(b));
    expect(tokens.deviceIdOf("garbage")).toBeNull();
  });

  it("is false for another user's token", async () => {
    const { tokens } = setup();
    const token = await tokens.issue("user-1");
    expect(await tokens.verify(token, "user-2")).toBe(false);
    expect(await tokens.verify(token, "user-1 ")).toBe(false);
    expect(await tokens.verify(token, "")).toBe(false);
  });

  it("expires after 90 days by default", async () => {
    const { tokens, advance } = setup();
    const token = await tokens.issue("u");
    advance(89 * 86400);
    expect(await tokens.verify(token, "u")).toBe(true);
    advance(86400);
    expect(await tokens.verify(token, "u")).toBe(false);
  });

  it("honours a custom lifetime and refuses future-dated tokens", async () => {
    const { tokens, advance } = setup(60);
    const token = await tokens.issue("u");
    advance(-60); // the token now looks issued a minute in the future
    expect(await tokens.verify(token, "u")).toBe(false);
    advance(119);
    expect(await tokens.verify(token, "u")).toBe(true);
    advance(1);
    expect(await tokens.verify(token, "u")).toBe(false);
  });

  it("is false for tampered tokens: id, timestamp (to extend life) or MAC", async () => {
    const { tokens } = setup();
    const token = await tokens.issue("u");
    const [prefix, id, issued, mac] = token.split(".") as [string, string, string, string];
    const otherId = base64UrlEncode(randomBytes(16));
    expect(await tokens.verify([prefix, otherId, issued, mac].join("."), "u")).toBe(false);
    expect(await tokens.verify([prefix, id, String(Number(issued) + 1), mac].join("."), "u")).toBe(false);
    expect(await tokens.verify([prefix, id, `0${issued}`, mac].join("."), "u")).toBe(false);
    const flipped = base64UrlDecode(mac);
    flipped[0]! ^= 1;
    expect(await tokens.verify([prefix, id, issued, base64UrlEncode(flipped)].join("."), "u")).toBe(false);
    expect(await tokens.verify(["d2", id, issued, mac].join("."), "u")).toBe(false);
  });

  it("is false for a token made with another key", async () => {
    const { tokens, clock } = setup();
    const other = createDeviceTokens({ key: randomBytes(32), clock });
    expect(await tokens.verify(await other.issue("u"), "u")).toBe(false);
  });

  it("is false for garbage", async () => {
    const { tokens } = setup();
    for (const garbage of ["", "d1", "d1...", "d1.a.b.c", "x".repeat(5000), null, 7, {}]) {
      expect(await tokens.verify(garbage as string, "u")).toBe(false);
    }
  });

  it("requires a strong key", () => {
    expect(() => createDeviceTokens({ key: randomBytes(16), clock: () => new Date() })).toThrow(/32 bytes/);
  });
});
