/**
 * Validation messages written for the developer calling the API: "email is
 * required", "password must be at least 12 characters", "pasword is not a
 * known field; did you mean password?". A message a schema set on purpose
 * (anything other than zod's default for the issue) is kept as written.
 */
import { z } from "zod";
import type { FieldIssue } from "./errors.ts";

type Issue = z.core.$ZodIssue;

const TARGET_NOUN: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "param",
  header: "header",
  cookie: "cookie",
};

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

const plural = (n: number | bigint, one: string) => `${n} ${one}${Number(n) === 1 ? "" : "s"}`;

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  bigint: "an integer",
  date: "a date",
  null: "null",
};

const FORMATS: Record<string, string> = {
  email: "a valid email address",
  uuid: "a UUID",
  guid: "a UUID",
  url: "a URL",
  datetime: "an ISO 8601 date-time (2026-01-01T00:00:00Z)",
  date: "an ISO 8601 date (2026-01-01)",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  base64: "base64",
  base64url: "base64url",
  hex: "hexadecimal",
  jwt: "a JWT",
};

function isDefaultMessage(issue: Issue, input: unknown): boolean {
  // Its default names the type received, which the final issue no longer carries.
  if (issue.code === "invalid_type") return /^Invalid input: expected /.test(issue.message);
  const localeError = z.config().localeError;
  if (!localeError) return true;
  const made = localeError({ ...issue, input } as Parameters<typeof localeError>[0]);
  const text = typeof made === "string" ? made : made?.message;
  return text === issue.message;
}

function describe(issue: Issue, field: string, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined && / received undefined$/.test(issue.message)) return `${field} is required`;
      return `${field} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_small": {
      const n = issue.minimum;
      if (issue.origin === "string")
        return n === 1 ? `${field} must not be empty` : `${field} must be at least ${plural(n, "character")}`;
      if (issue.origin === "array" || issue.origin === "set")
        return `${field} must have at least ${plural(n, "item")}`;
      return issue.inclusive ? `${field} must be at least ${n}` : `${field} must be greater than ${n}`;
    }
    case "too_big": {
      const n = issue.maximum;
      if (issue.origin === "string") return `${field} must be at most ${plural(n, "character")}`;
      if (issue.origin === "array" || issue.origin === "set")
        return `${field} must have at most ${plural(n, "item")}`;
      return issue.inclusive ? `${field} must be at most ${n}` : `${field} must be less than ${n}`;
    }
    case "invalid_format":
      if (issue.format === "regex") return `${field} does not have the expected format`;
      if (issue.format === "starts_with")
        return `${field} must start with "${(issue as { prefix?: string }).prefix}"`;
      return `${field} must be ${FORMATS[issue.format] ?? `a valid ${issue.format}`}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `${field} must be ${JSON.stringify(issue.values[0])}`
        : `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "not_multiple_of":
      return `${field} must be a multiple of ${issue.divisor}`;
    case "invalid_union":
      return `${field} does not match any of the accepted forms`;
    default:
      return `${field} is not valid`;
  }
}

function suggestion(key: string, known: readonly string[]): string {
  const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
  return near ? `; did you mean ${near}?` : "";
}

/** Levenshtein distance, for "did you mean" on short field names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** An unknown key, as a field issue naming it (`known`: the keys that object takes). */
export function unknownKeyIssue(
  prefix: string,
  path: readonly (string | number)[],
  known: readonly string[],
) {
  const key = String(path[path.length - 1]);
  return {
    path: [prefix, ...path.map(String)].join("."),
    message: `${key} is not a known field${suggestion(key, known)}`,
  };
}

/**
 * Zod issues as field issues: `body.email` / "email is required". `input` is
 * what the client sent (to tell a missing field from a wrong one).
 */
export function fieldIssues(
  issues: readonly Issue[],
  target: string | undefined,
  input: unknown,
): FieldIssue[] {
  const prefix = target === undefined ? [] : [TARGET_NOUN[target] ?? target];
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    // A union: report the alternative that came closest (fewest issues), not "no match".
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      out.push(
        ...fieldIssues(
          best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
          target,
          input,
        ),
      );
      continue;
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          path: [...prefix, ...issue.path.map(String), key].join("."),
          message: `${key} is not a known field`,
        });
      }
      continue;
    }
    const path = [...prefix, ...issue.path.map(String)];
    const value = valueAt(input, issue.path);
    const named = [...issue.path].reverse().find((p) => typeof p === "string");
    const field = typeof named === "string" ? named : (prefix[0] ?? "value");
    const message = isDefaultMessage(issue, value) ? describe(issue, field, value) : issue.message;
    out.push({ path: path.join("."), message });
  }
  // One entry per field and message: a union's alternatives can report the same thing twice.
  const seen = new Set<string>();
  return out.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
