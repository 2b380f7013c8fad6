/**
 * What a hostile client sends: broken Unicode, NUL and control characters,
 * prototype keys, duplicated keys, wrong types, huge and deeply nested values,
 * malformed JSON and odd content types. Bodies are built as raw text, so lone
 * surrogates travel as `\ud800` escapes and duplicated keys survive.
 */
import fc from "fast-check";

/** Strings no route should choke on. */
/** What the input rule exists for: broken Unicode, NUL and control characters. */
const brokenText = fc.oneof(
  fc.constantFrom(
    "\ud800",
    "a\udc00b",
    "\udbff\udbff",
    "x\u0000y",
    "\u0000",
    "\u001b[31mred\u001b[0m",
    "line\r\nInjected-Header: 1",
    "\u202egnp.exe",
    "\u0085\u009b",
  ),
  fc.string({
    unit: fc.constantFrom("\u0000", "\ud800", "\udc00", "\u007f", "a", "é", "\n"),
    minLength: 1,
    maxLength: 20,
  }),
);

/** Strings no route should choke on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: brokenText, weight: 4 },
  {
    arbitrary: fc.constantFrom(
      "'; DROP TABLE events; --",
      "../../etc/passwd",
      "%00%ff%ED%A0%80",
      "__proto__",
      "constructor",
      "",
      " ",
      "🦊".repeat(100),
      "9".repeat(400),
      "-1",
      "NaN",
      "null",
      "true",
      "mk_0000000000000000000000000000000000000000000000000",
    ),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 1 },
  { arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => "a".repeat(n)), weight: 1 },
);

/** A JSON value of the wrong kind for whatever field it lands in. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, 1.5, [], {}, [null], { "": "" }),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** JSON text: `JSON.stringify` writes lone surrogates and NUL as escapes, as an attacker would. */
export const toJson = (v: unknown) => JSON.stringify(v) ?? "null";

const nested = (depth: number, open: string, close: string, inner = "1") =>
  open.repeat(depth) + inner + close.repeat(depth);

/** Whole bodies that are wrong in themselves, whatever the route expects. */
export const hostileBodyText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "",
      "{",
      '{"a":',
      "{'a':1}",
      '{"a":1,}',
      "[1,2",
      "nul",
      "null",
      "42",
      '"text"',
      "[]",
      "{}",
      "\ufeff{}",
      '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}',
      '{"reason":"dup","reason":{"nested":true}}',
      '{"role":"user","role":"admin","reason":"dup keys"}',
      '{"a":"\\ud800"}',
      '{"\\ud800":1}',
      '{"a":"\\u0000"}',
      '{"a\\u0000":1}',
      '{"a":1e999999}',
      '{"a":-0}',
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: 60, max: 5000 }).map((d) => nested(d, "[", "]")) },
  { weight: 2, arbitrary: fc.integer({ min: 60, max: 3000 }).map((d) => nested(d, '{"a":', "}")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  // Past the 1 MiB body limit: 413, never parsed.
  { weight: 1, arbitrary: fc.constant(null).map(() => `[${"1,".repeat(600_000)}1]`) },
);

export const contentTypes = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/merge-patch+json",
      "application/json; charset=utf-16",
      "application/JSON",
      "application/xml",
      "",
      "*/*",
      "application/json, text/plain",
    ),
    weight: 2,
  },
);

/** A mutation of a well-shaped body: one field replaced, a key added, or the whole replaced. */
export function mutateBody(shapedBody: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: shapedBody.map(toJson), weight: 3 },
    {
      arbitrary: fc.tuple(shapedBody, fc.nat(), wrongValue).map(([b, i, v]) => {
        if (!b || typeof b !== "object" || Array.isArray(b)) return toJson(v);
        const keys = Object.keys(b);
        if (keys.length === 0) return toJson({ extra: v });
        return toJson({ ...b, [keys[i % keys.length]!]: v });
      }),
      weight: 4,
    },
    {
      // A duplicated key: the first copy well-shaped, the second hostile (or the reverse).
      arbitrary: fc.tuple(shapedBody, wrongValue, fc.boolean()).map(([b, v, last]) => {
        const text = toJson(b);
        if (!text.startsWith("{") || text === "{}") return text;
        const key = Object.keys(b as object)[0]!;
        const dup = `${toJson(key)}:${toJson(v)}`;
        return last ? `${text.slice(0, -1)},${dup}}` : `{${dup},${text.slice(1)}`;
      }),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(shapedBody, fc.constantFrom("__proto__", "constructor", "prototype"))
        .map(([b, key]) => {
          const text = toJson(b);
          if (!text.startsWith("{")) return text;
          const sep = text === "{}" ? "" : ",";
          return `{"${key}":{"polluted":true,"roles":["admin"]}${sep}${text.slice(1)}`;
        }),
      weight: 1,
    },
    { arbitrary: hostileBodyText, weight: 2 },
    { arbitrary: wrongValue.map(toJson), weight: 1 },
  );
}

/** A query value or path segment, percent-encoded as a client would put it in a URL. */
export const encode = (v: unknown) => {
  const s = typeof v === "string" ? v : toJson(v);
  // encodeURIComponent throws on lone surrogates: send their UTF-8-like bytes raw, as a broken client would.
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(
      /[^A-Za-z0-9_-]/g,
      (ch) => `%${(ch.charCodeAt(0) & 0xff).toString(16).padStart(2, "0")}`,
    );
  }
};

/** Header values fetch will carry: Latin-1, no CR, LF or NUL. */
export const headerValue = fc.oneof(
  fc.constantFrom(
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Visit https://evil.example/reset now to keep your account",
    "curl/8.0",
    "",
  ),
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    maxLength: 600,
  }),
);
