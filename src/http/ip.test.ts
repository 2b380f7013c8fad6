import { describe, expect, it } from "vitest";
import { parseIpOrCidr, resolveClientIp, trustMatcher } from "./ip.ts";

describe("trustMatcher", () => {
  const trusted = trustMatcher(["10.0.0.0/8", "192.168.1.1", "fd00::/8", "::1"]);
  it.each([
    ["10.255.0.1", true],
    ["11.0.0.1", false],
    ["192.168.1.1", true],
    ["192.168.1.2", false],
    ["fd12:3456::1", true],
    ["fe80::1", false],
    ["::1", true],
    ["::ffff:10.1.1.1", true],
    ["not-an-ip", false],
  ])("%s -> %s", (ip, expected) => {
    expect(trusted(ip)).toBe(expected);
  });
});

describe("parseIpOrCidr", () => {
  it("refuses malformed entries", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "1.2.3.4/", "::1/129", "1.2.3.4/8/1", "example.com"]) {
      expect(parseIpOrCidr(bad), bad).toBeUndefined();
    }
  });
});

describe("resolveClientIp", () => {
  const trusted = trustMatcher(["10.0.0.0/8"]);
  it("uses the peer when it is not a trusted proxy", () => {
    expect(resolveClientIp("198.51.100.1", "1.1.1.1", trusted)).toBe("198.51.100.1");
  });
  it("skips trusted hops from the right", () => {
    expect(resolveClientIp("10.0.0.1", "1.1.1.1, 2.2.2.2, 10.0.0.2, 10.0.0.3", trusted)).toBe("2.2.2.2");
  });
  it("falls back to the leftmost hop when every hop is trusted", () => {
    expect(resolveClientIp("10.0.0.1", "10.0.0.9, 10.0.0.2", trusted)).toBe("10.0.0.9");
  });
  it("stops at a malformed hop instead of believing what is left of it", () => {
    expect(resolveClientIp("10.0.0.1", "1.1.1.1, garbage, 10.0.0.2", trusted)).toBe("10.0.0.2");
  });
  it("uses the peer when the trusted proxy sent no header", () => {
    expect(resolveClientIp("10.0.0.1", undefined, trusted)).toBe("10.0.0.1");
  });
});
