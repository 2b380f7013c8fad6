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
  // A path is built only for the problem found: building one per key (printableKey)
  // cost a tenth of an append's client time, for strings almost never reported.
  const stack: Step[] = [{ v: value, parent: undefined, seg: root, depth: 0 }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { v, depth } = step;
    if (typeof v === "string") {
      const issue = textIssue(v);
      if (issue) return { path: pathOf(step), message: issue };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_JSON_DEPTH)
      return { path: pathOf(step), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], parent: step, seg: String(i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const child: Step = {
        v: (v as Record<string, unknown>)[key],
        parent: step,
        seg: key,
        key: true,
        depth: depth + 1,
      };
      const issue = textIssue(key);
      if (issue) return { path: pathOf(child), message: `key ${issue}` };
      if (key === "__proto__") return { path: pathOf(child), message: "key __proto__ is not allowed" };
      stack.push(child);
    }
  }
  return undefined;
}

/** One value on the walk: its parent and its own segment of the dotted path (a key is made printable when shown). */
interface Step {
  v: unknown;
  parent: Step | undefined;
  seg: string;
  key?: boolean;
  depth: number;
}

function pathOf(step: Step): string {
  const segs: string[] = [];
  for (let s: Step | undefined = step; s; s = s.parent) {
    segs.push(s.key ? printableKey(s.seg) : s.seg);
  }
  return segs.reverse().join(".");
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
