/**
 * The input rule at the edge (src/http/text.ts): before any route runs, every
 * query string key and value, every path parameter and every header Vigil uses
 * as data must be valid Unicode without NUL; path parameters (ids, addresses)
 * must also hold no control characters. JSON bodies are checked where they are
 * parsed (json-body.ts). A refusal is 400 `validation_failed` naming the field,
 * so no route, present or future, can hand such a string to the database or
 * the hash chain.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { AppError } from "../errors.ts";
import { hasControlOrBidi, printableKey, type TextProblem, textIssue } from "../text.ts";

/** Headers whose values reach events, logs or lookups. */
const DATA_HEADERS = [
  "user-agent",
  "x-request-id",
  "x-correlation-id",
  "x-device-token",
  "x-api-key",
  "authorization",
  "if-match",
  "idempotency-key",
];

export function refuse(problem: TextProblem): AppError {
  return new AppError("validation_failed", "The request has invalid fields", { errors: [problem] });
}

export function inputRule(): MiddlewareHandler {
  // Not async (no promise of its own); a refusal is thrown synchronously, which Hono's compose handles the same way.
  return (c, next) => {
    const problem = queryProblem(c) ?? paramProblem(c) ?? headerProblem(c);
    if (problem) throw refuse(problem);
    return next();
  };
}

function queryProblem(c: Context): TextProblem | undefined {
  if (!c.req.url.includes("?")) return undefined;
  for (const [key, values] of Object.entries(c.req.queries())) {
    const path = `query.${printableKey(key)}`;
    const keyIssue = textIssue(key);
    if (keyIssue) return { path, message: `key ${keyIssue}` };
    for (const v of values) {
      const issue = textIssue(v);
      if (issue) return { path, message: issue };
    }
  }
  return undefined;
}

/** Path parameters of the route that will answer, named as the route names them. */
function paramProblem(c: Context): TextProblem | undefined {
  const route = matchedRoutes(c).find((r) => r.method !== "ALL");
  if (!route?.path.includes(":")) return undefined;
  const pattern = route.path.split("/");
  const segments = c.req.path.split("/");
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (!p.startsWith(":")) continue;
    const name = p
      .slice(1)
      .replace(/\{.*\}$/, "")
      .replace(/\?$/, "");
    const value = decodeSegment(segments[i] ?? "");
    const issue =
      textIssue(value) ?? (hasControlOrBidi(value) ? "must not contain control characters" : undefined);
    if (issue) return { path: `param.${name}`, message: issue };
  }
  return undefined;
}

/** As Hono decodes a parameter: what decodes, decoded; malformed escapes left as they are. */
function decodeSegment(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
  }
}

// Tab is allowed in header values (RFC 9110); other controls are not. From a
// template: the linter refuses control characters in regex literals.
const NOT_TAB = "\\u0000-\\u0008\\u000a-\\u001f\\u007f";
const HEADER_CONTROL = new RegExp(`[${NOT_TAB}]`);

const DATA_HEADER_SET = new Set(DATA_HEADERS);

function headerIssue(v: string): string | undefined {
  return textIssue(v) ?? (HEADER_CONTROL.test(v) ? "must not contain control characters" : undefined);
}

function headerProblem(c: Context): TextProblem | undefined {
  // On Node, one pass over the headers as received (each occurrence on its own, which
  // the rule treats as it treats them joined) rather than eight lookups by name.
  const raw = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming?.rawHeaders;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = String(raw[i]).toLowerCase();
      if (!DATA_HEADER_SET.has(name)) continue;
      const issue = headerIssue(String(raw[i + 1]));
      if (issue) return { path: `header.${name}`, message: issue };
    }
    return undefined;
  }
  for (const name of DATA_HEADERS) {
    const v = c.req.header(name);
    if (v === undefined) continue;
    const issue = headerIssue(v);
    if (issue) return { path: `header.${name}`, message: issue };
  }
  return undefined;
}
