/**
 * RFC 8785 canonical JSON, as the `canonicalize` package writes it, without its
 * cost on the append path: that package checks every string for lone surrogates
 * in a JavaScript loop and tracks cycles in a Set, which was half of an append's
 * client time. Plain JSON (null, booleans, finite numbers, strings without any
 * surrogate, arrays and plain objects of them) is written here; anything else
 * (a surrogate, undefined, a toJSON, a class instance, NaN, deep nesting) goes
 * to the package, whole, so its output and its errors stay exactly the package's.
 * events/canonical.test.ts holds the two to the same output.
 */
import canonicalize from "canonicalize";

/** Deeper than this is handed to the package (whose recursion, and errors, then apply). */
const MAX_DEPTH = 100;
const SURROGATE = /[\uD800-\uDFFF]/;

export function canonicalJson(value: unknown): string | undefined {
  return plain(value, 0) ?? canonicalize(value);
}

/** The canonical text of plain JSON, or undefined for anything the package must judge. */
function plain(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
      return SURROGATE.test(v) ? undefined : JSON.stringify(v);
    case "number":
      // JSON.stringify writes ECMAScript's shortest round-trip form, which RFC 8785 adopts.
      return Number.isFinite(v) ? JSON.stringify(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null) return "null";
  if (depth >= MAX_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === "function") return undefined;
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) {
      const item = plain(v[i], depth + 1);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return undefined;
  // Default sort: UTF-16 code units, as RFC 8785 orders keys.
  const keys = Object.keys(v).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (SURROGATE.test(key)) return undefined;
    const item = plain((v as Record<string, unknown>)[key], depth + 1);
    if (item === undefined) return undefined;
    out += `${i === 0 ? "" : ","}${JSON.stringify(key)}:${item}`;
  }
  return `${out}}`;
}
