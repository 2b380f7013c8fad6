/** TOTP against RFC 6238's published vectors and an independent HMAC generator; backup codes. */
import { createHmac } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { describe, expect, it } from "vitest";
import { findBackupCode, generateBackupCodes, normaliseBackupCode } from "./backup-codes.ts";
import { codeAt, matchStep, newTotpSecret, otpauthUri, qrSvg, timeStepAt } from "./totp.ts";

/** RFC 4226 §5.3 dynamic truncation, straight from node:crypto: no otpauth involved. */
function independentTotp(secret: Uint8Array, timeSeconds: number, digits = 6, period = 30): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeSeconds / period)));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const bin =
    ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, "0");
}

const base32Decode = (s: string) => Secret.fromBase32(s).bytes;

describe("RFC 6238 Appendix B (SHA-1)", () => {
  const seed = "12345678901234567890";
  const vectors: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];

  it.each(vectors)("T=%i -> %s with the library", (t, expected) => {
    const totp = new TOTP({ secret: Secret.fromLatin1(seed), algorithm: "SHA1", digits: 8, period: 30 });
    expect(totp.generate({ timestamp: t * 1000 })).toBe(expected);
  });

  it.each(vectors)("T=%i -> %s with the independent generator", (t, expected) => {
    expect(independentTotp(new TextEncoder().encode(seed), t, 8)).toBe(expected);
  });
});

describe("Vigil's TOTP", () => {
  it("agrees with the independent generator for random secrets and times", () => {
    for (let i = 0; i < 50; i++) {
      const secret = newTotpSecret();
      const t = 1_700_000_000 + Math.floor(Math.random() * 100_000_000);
      const code = independentTotp(base32Decode(secret), t);
      expect(codeAt(secret, t * 1000)).toBe(code);
      expect(matchStep(secret, code, t * 1000)).toBe(Math.floor(t / 30));
    }
  });

  it("accepts one step of drift either way, and names the step", () => {
    const secret = newTotpSecret();
    const now = 1_800_000_015_000;
    const step = timeStepAt(now);
    const at = (s: number) => independentTotp(base32Decode(secret), s * 30);
    expect(matchStep(secret, at(step - 1), now)).toBe(step - 1);
    expect(matchStep(secret, at(step), now)).toBe(step);
    expect(matchStep(secret, at(step + 1), now)).toBe(step + 1);
    expect(matchStep(secret, at(step - 2), now)).toBeNull();
    expect(matchStep(secret, at(step + 2), now)).toBeNull();
    expect(matchStep(secret, "12345", now)).toBeNull();
    expect(matchStep(secret, "abcdef", now)).toBeNull();
  });

  it("makes an otpauth:// URI and an SVG QR code", async () => {
    const secret = newTotpSecret();
    const uri = otpauthUri(secret, "ada@example.com");
    expect(uri).toMatch(/^otpauth:\/\/totp\/Vigil:ada%40example\.com\?/);
    const params = new URL(uri).searchParams;
    expect(params.get("secret")).toBe(secret);
    expect(params.get("issuer")).toBe("Vigil");
    expect(params.get("algorithm")).toBe("SHA1");
    expect(params.get("digits")).toBe("6");
    expect(params.get("period")).toBe("30");
    expect(await qrSvg(uri)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});

describe("backup codes", () => {
  it("are 10 codes of 80 bits, stored as salted HMACs, matched in any typing", async () => {
    const set = await generateBackupCodes();
    expect(set.codes).toHaveLength(10);
    for (const c of set.codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(set.codes).size).toBe(10);
    expect(set.hashes.join()).not.toContain(normaliseBackupCode(set.codes[0]!));
    expect(await findBackupCode(set.salt, set.hashes, set.codes[3]!)).toBe(3);
    expect(
      await findBackupCode(set.salt, set.hashes, ` ${set.codes[3]!.toLowerCase().replaceAll("-", " ")} `),
    ).toBe(3);
    const used = set.hashes.map((h, i) => (i === 3 ? null : h));
    expect(await findBackupCode(set.salt, used, set.codes[3]!)).toBeNull();
    // Another user's salt: the same code does not match.
    const other = await generateBackupCodes();
    expect(await findBackupCode(other.salt, set.hashes, set.codes[0]!)).toBeNull();
  });
});
