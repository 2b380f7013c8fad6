/** The input rule's building blocks, without HTTP: one string, a JSON walk, the two schema helpers. */
import { describe, expect, it } from "vitest";
import { findJsonTextProblem, MAX_JSON_DEPTH, reasonText, textIssue, textLine } from "./text.ts";

describe("textIssue (rule 1: valid Unicode, no NUL)", () => {
  it.each([
    ["plain", "hello", undefined],
    ["a surrogate pair", "🦊", undefined],
    ["accents and CJK", "Zoë 李", undefined],
    ["a lone high surrogate", "a\ud800", /surrogate/],
    ["a lone low surrogate", "\udc00b", /surrogate/],
    ["two high surrogates", "\ud800\ud800", /surrogate/],
    ["a reversed pair", "\udc00\ud800", /surrogate/],
    ["NUL", "a\u0000b", /NUL/],
  ])("%s", (_n, s, expected) => {
    const issue = textIssue(s);
    if (expected === undefined) expect(issue).toBeUndefined();
    else expect(issue).toMatch(expected);
  });
});

describe("findJsonTextProblem", () => {
  it("names the first bad value or key by its path", () => {
    expect(findJsonTextProblem({ a: [1, { b: "x\u0000" }] }, "body")).toEqual({
      path: "body.a.1.b",
      message: "must not contain a NUL character",
    });
    expect(findJsonTextProblem({ ok: 1, "k\ud800": 2 }, "body")?.path).toBe("body.k\\ud800");
    expect(findJsonTextProblem(JSON.parse('{"__proto__":{"x":1}}'), "body")?.path).toBe("body.__proto__");
    expect(findJsonTextProblem({ fine: ["a", { b: "🦊" }] }, "body")).toBeUndefined();
  });

  it("walks without recursion and refuses depth beyond the limit, however deep", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findJsonTextProblem(deep, "body")?.message).toMatch(/nested deeper/);
    let ok: unknown = "leaf";
    for (let i = 0; i < MAX_JSON_DEPTH - 1; i++) ok = { a: ok };
    expect(findJsonTextProblem(ok, "body")).toBeUndefined();
  });
});

describe("textLine and reasonText (rule 2: no control characters or bidi overrides)", () => {
  const line = textLine({ max: 20 });
  const reason = reasonText({ min: 3, max: 50 });
  it.each(["Ada", "  Ada Lovelace  ", "Zoë 🦊"])("a line accepts %j", (s) => {
    expect(line.safeParse(s).success).toBe(true);
  });
  it.each([
    "",
    "a\tb",
    "a\nb",
    "a\u0007",
    "a\u009b",
    "a\u202eb",
    "a\u2066",
    "a\u0000",
    "x\ud800",
    "x".repeat(21),
  ])("a line refuses %j", (s) => {
    expect(line.safeParse(s).success).toBe(false);
  });
  it("a reason may hold line breaks and tabs but no other control character", () => {
    expect(reason.safeParse("ticket 7:\n\tverified by phone\r\n").success).toBe(true);
    expect(reason.safeParse("bell\u0007").success).toBe(false);
    expect(reason.safeParse("esc \u001b[2J").success).toBe(false);
    expect(reason.safeParse("rtl \u202e").success).toBe(false);
    expect(reason.safeParse("ok").success).toBe(false);
  });
  it("trims, so the stored value is what the length counted", () => {
    expect(line.parse("  Ada  ")).toBe("Ada");
  });
});
