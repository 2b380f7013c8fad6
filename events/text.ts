/**
 * Rule 1 of Vigil's input rule (the whole rule is described in src/http/text.ts):
 * every string is valid Unicode (no lone UTF-16 surrogate, which canonical JSON
 * cannot hash) and holds no NUL (which Postgres cannot store). Pure, so both
 * the HTTP edge and the event store (its last line of defence) apply it.
 */

// Without the `u` flag, so it sees UTF-16 code units: a high surrogate not
// followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` breaks rule 1, or undefined when it is fine. */
export function textIssue(s: string): string | undefined {
  if (s.includes("\u0000")) return "must not contain a NUL character";
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode (a lone UTF-16 surrogate was found)";
  return undefined;
}

export interface TextProblem {
  /** Dotted field path: `body.items.3.name`, `query.ip`, `param.id`, `header.user-agent`. */
  path: string;
  message: string;
}

/** JSON nested deeper than this is refused: no schema Vigil has needs it, and walkers recurse. */
export const MAX_JSON_DEPTH = 64;

/**
 * The first string in a parsed JSON value (keys included) that breaks rule 1,
 * or nesting beyond MAX_JSON_DEPTH. Iterative, so a hostile depth cannot
 * overflow the stack. `__proto__` keys are refused too: JSON.parse makes them
 * plain properties, but any later merge or copy could turn one into a
 * prototype change.
 */
export function findJsonTextProblem(value: unknown, root: string): TextProblem | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      const issue = textIssue(v);
      if (issue) return { path, message: issue };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}.${i}`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const keyPath = `${path}.${printableKey(key)}`;
      const issue = textIssue(key);
      if (issue) return { path: keyPath, message: `key ${issue}` };
      if (key === "__proto__") return { path: keyPath, message: "key __proto__ is not allowed" };
      stack.push({ v: (v as Record<string, unknown>)[key], path: keyPath, depth: depth + 1 });
    }
  }
  return undefined;
}

// From a template: the linter refuses control characters in regex literals, and finding them is the point.
const C0_C1 = "\\u0000-\\u001f\\u007f-\\u009f";
const UNPRINTABLE = new RegExp(`[${C0_C1}]|${LONE_SURROGATE.source}`, "g");

/** A key as it can be shown in a problem body (which is itself JSON and must be well-formed). */
export function printableKey(key: string): string {
  const shown = key.replace(UNPRINTABLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const chars = Array.from(shown);
  return chars.length > 64 ? `${chars.slice(0, 64).join("")}…` : shown;
}
