import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.ts";

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const CHARS = [
  "a",
  "Z",
  "0",
  " ",
  '"',
  "\\",
  "/",
  "\n",
  "\u0000",
  "\u001f",
  "\u007f",
  "é",
  "€",
  "\u2028",
  "😀",
  "\ud800",
  "\udc00",
  "ß",
];

function randomString(r: () => number): string {
  let s = "";
  for (let n = Math.floor(r() * 6); n > 0; n--) s += CHARS[Math.floor(r() * CHARS.length)];
  return s;
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  1.5,
  1e21,
  1e-7,
  123456789012345680000,
  2 ** 53,
  5e-324,
  0.1 + 0.2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
];

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return r() < 0.5 ? NUMBERS[Math.floor(r() * NUMBERS.length)] : (r() - 0.5) * 10 ** Math.floor(r() * 30);
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let n = Math.floor(r() * 5); n > 0; n--) o[randomString(r)] = randomValue(r, depth + 1);
      if (r() < 0.05) o.skipped = undefined;
      return o;
    }
  }
}

/** The package's text, or the message it throws. */
function outcome(f: () => string | undefined): string | undefined {
  try {
    return f();
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

describe("canonicalJson", () => {
  it("writes what the canonicalize package writes, and throws what it throws, for random JSON-like values", () => {
    const r = rng(8785);
    for (let i = 0; i < 20_000; i++) {
      const v = randomValue(r, 0);
      expect(outcome(() => canonicalJson(v))).toBe(outcome(() => canonicalize(v)));
    }
  });

  it("matches the package on an event envelope and on values only the package handles", () => {
    const envelope = {
      stream_id: "user-1",
      stream_version: 3,
      event_id: "0193a4b2-7c1e-7000-8000-000000000000",
      type: "UserRegistered",
      schema_version: 1,
      data: { email: "a@example.com", n: [1, 2.5, { z: null, a: "é😀" }] },
      metadata: { actor: "system:test", ip: null, userAgent: "x" },
      recorded_at: "2026-11-30T20:00:00.000Z",
    };
    const odd: unknown[] = [
      envelope,
      new Date(0),
      { at: new Date(0) },
      { toJSON: () => ({ b: 1, a: 2 }) },
      [undefined, () => 1],
      Object.assign(Object.create(null), { b: 1, a: "x" }),
      { big: Number.MAX_VALUE, tiny: Number.MIN_VALUE },
      "\ud83d\ude00",
      "\ude00",
    ];
    let deep: unknown = "bottom";
    for (let i = 0; i < 150; i++) deep = { d: deep };
    odd.push(deep);
    for (const v of odd) expect(outcome(() => canonicalJson(v))).toBe(outcome(() => canonicalize(v)));
  });
});
