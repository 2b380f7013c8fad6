import { describe, expect, it } from "vitest";
import {
  base64Decode,
  base64UrlDecode,
  base64UrlEncode,
  decodeBase64Any,
  randomBytes,
  randomToken,
  sha256,
  sha256Hex,
  timingSafeEqual,
  toHex,
} from "./random.ts";

describe("random", () => {
  it("randomToken is base64url with 256 bits by default and never repeats", () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64UrlDecode(a)).toHaveLength(32);
    const many = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(many.size).toBe(1000);
    expect(base64UrlDecode(randomToken(48))).toHaveLength(48);
  });

  it("randomToken refuses too few bytes", () => {
    expect(() => randomToken(8)).toThrow(RangeError);
    expect(() => randomToken(1.5)).toThrow(RangeError);
  });

  it("SHA-256 gives WebCrypto's digest for bytes and for a string's UTF-8", async () => {
    const texts = ["", "abc", "ünïcødé ✓ 𝄞", "x".repeat(10_000)];
    for (const text of texts) {
      const web = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
      expect(sha256(text)).toEqual(web);
      expect(sha256Hex(text)).toBe(toHex(web));
    }
    for (let i = 0; i < 50; i++) {
      const bytes = randomBytes(1 + i * 37);
      const web = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      expect(sha256(bytes)).toEqual(web);
      // A view into a larger buffer hashes only its own bytes.
      const padded = new Uint8Array(bytes.length + 8);
      padded.set(bytes, 4);
      expect(sha256(padded.subarray(4, 4 + bytes.length))).toEqual(web);
    }
    expect(sha256("abc").byteLength).toBe(32);
  });

  it("sha256Hex matches the known digest", async () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("timingSafeEqual compares content and length", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("é", "e\u0301")).toBe(false);
  });

  it("base64url round-trips every byte value and rejects foreign characters", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let n = 0; n <= 5; n++) {
      const slice = all.subarray(0, 250 + n);
      expect(base64UrlDecode(base64UrlEncode(slice))).toEqual(slice);
    }
    expect(base64UrlEncode(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(() => base64UrlDecode("ab+c")).toThrow();
    expect(() => base64UrlDecode("abc=")).toThrow();
    expect(() => base64UrlDecode("a")).toThrow();
  });

  it("decodes standard base64 and either alphabet", () => {
    expect(base64Decode("aGVsbG8=")).toEqual(new TextEncoder().encode("hello"));
    expect(base64Decode("aGVsbG8")).toEqual(new TextEncoder().encode("hello"));
    expect(decodeBase64Any("-_8")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(decodeBase64Any("+/8=")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(() => base64Decode("a$b=")).toThrow();
  });
});
