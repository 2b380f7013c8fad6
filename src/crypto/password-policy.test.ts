import { describe, expect, it } from "vitest";
import { checkPassword } from "./password-policy.ts";

const codes = (
  password: string,
  ...rest: Parameters<typeof checkPassword> extends [string, ...infer R] ? R : never
) => {
  const result = checkPassword(password, ...rest);
  return result.ok ? [] : result.issues.map((i) => i.code);
};

describe("checkPassword", () => {
  it("accepts a long passphrase and a random password, with no composition rules by default", () => {
    expect(checkPassword("correct horse battery staple")).toEqual({ ok: true });
    expect(checkPassword("zq8!mV#2rTp9")).toEqual({ ok: true });
    expect(checkPassword("violet otter jumps slowly")).toEqual({ ok: true });
  });

  it("refuses too short and too long, counting Unicode code points", () => {
    expect(codes("Xk9#mQ2vL!p")).toContain("password_too_short"); // 11
    expect(codes("a".repeat(129))).toEqual(["password_too_long"]);
    expect(codes("zq8!mV#2rTp9".padEnd(128, "k"))).not.toContain("password_too_long");
    // 12 astral characters are 24 UTF-16 units but 12 code points: long enough.
    expect(codes("🐙🦊🐢🦉🐝🦋🐬🦑🐞🦀🐌🦔")).not.toContain("password_too_short");
    expect(codes("🐙🦊🐢🦉🐝🦋🐬🦑🐞🦀🐌")).toContain("password_too_short");
    expect(codes("short", undefined, { minLength: 4 })).not.toContain("password_too_short");
    expect(codes("zq8!mV#2rTp9x", undefined, { maxLength: 12 })).toEqual(["password_too_long"]);
  });

  it("refuses passwords on zxcvbn's common list, including repeats and case variants", () => {
    for (const common of [
      "123456789012",
      "1q2w3e4r5t6y",
      "qwerty123456",
      "passwordpassword",
      "PASSWORDPASSWORD",
    ]) {
      expect(codes(common), common).toContain("password_common");
    }
  });

  it("refuses guessable passwords that are not literally common", () => {
    expect(codes("abcdefghijkl")).toEqual(["password_too_weak"]);
    expect(codes("Password1234")).toEqual(["password_too_weak"]);
    expect(codes("abcdefghijkl", undefined, { minScore: 0 })).toEqual([]);
  });

  it("refuses passwords containing the email local part or the display name", () => {
    const ctx = { email: "Marguerite.Dupont@example.com", displayName: "Marguerite Dupont" };
    expect(codes("xx-marguerite.dupont-42!", ctx)).toContain("password_contains_identifier");
    expect(codes("MARGUERITE plays viola 7", { displayName: "Marguerite Dupont" })).toContain(
      "password_contains_identifier",
    );
    expect(codes("zq8!mV#2rTp9", ctx)).toEqual([]);
    // Very short identifiers are ignored rather than forbidding half the alphabet.
    expect(codes("violet otter jumps slowly", { email: "vi@example.com" })).toEqual([]);
  });

  it("applies optional composition rules only when switched on", () => {
    const all = { requireUpper: true, requireLower: true, requireDigit: true, requireSymbol: true };
    expect(codes("violet otter jumps slowly", undefined, all)).toEqual([
      "password_missing_upper",
      "password_missing_digit",
    ]);
    expect(codes("VIOLETOTTERJUMPS", undefined, all)).toEqual(
      expect.arrayContaining(["password_missing_lower", "password_missing_digit", "password_missing_symbol"]),
    );
    expect(codes("Violet otter jumps 7 times", undefined, all)).toEqual([]);
  });

  it("gives each issue a human message", () => {
    const result = checkPassword("short");
    expect(result.ok).toBe(false);
    if (!result.ok) for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(5);
  });

  it("stays fast on hostile 128-character input", () => {
    const started = performance.now();
    for (const p of ["p4$$w0rd".repeat(16), "a1!".repeat(42), "4@3!1$0".repeat(18)]) checkPassword(p);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
