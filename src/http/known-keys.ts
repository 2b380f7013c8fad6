/**
 * Unknown keys in a request body are refused: a misspelt `pasword` is an
 * error naming the key, not silently dropped. The keys a body may hold are
 * read once from the route's zod schema (objects, their unions and
 * intersections, arrays, optional and piped wrappers), so schemas stay plain
 * `z.object`s and unions of objects keep working; records and free-form
 * values accept any key.
 */
import type { z } from "zod";
import type { FieldIssue } from "./errors.ts";
import { unknownKeyIssue } from "./messages.ts";

export type KeyShape =
  | { kind: "object"; fields: Map<string, KeyShape>; open: boolean }
  | { kind: "array"; item: KeyShape }
  | { kind: "any" };

const ANY: KeyShape = { kind: "any" };

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

function merge(a: KeyShape, b: KeyShape): KeyShape {
  if (a.kind === "object" && b.kind === "object") {
    const fields = new Map(a.fields);
    for (const [k, v] of b.fields) fields.set(k, fields.has(k) ? merge(fields.get(k)!, v) : v);
    return { kind: "object", fields, open: a.open || b.open };
  }
  if (a.kind === "array" && b.kind === "array") return { kind: "array", item: merge(a.item, b.item) };
  // A scalar alternative next to an object (`string | {…}`): the object's keys still apply.
  if (a.kind === "any" && b.kind !== "any") return b.kind === "object" ? b : ANY;
  if (b.kind === "any" && a.kind !== "any") return a.kind === "object" ? a : ANY;
  return ANY;
}

// biome-ignore lint/suspicious/noExplicitAny: zod's internal definitions, read generically.
type Def = Record<string, any>;

export function keyShape(schema: z.core.$ZodType | undefined, depth = 0): KeyShape {
  if (!schema || depth > 12) return ANY;
  const def = schema._zod.def as Def;
  switch (def.type) {
    case "object": {
      const fields = new Map<string, KeyShape>();
      for (const [k, v] of Object.entries(def.shape as Record<string, z.core.$ZodType>))
        fields.set(k, keyShape(v, depth + 1));
      // `.passthrough()`/`.loose()` or a catchall schema: extra keys are meant.
      const open = def.catchall !== undefined && (def.catchall as z.core.$ZodType)._zod.def.type !== "never";
      return { kind: "object", fields, open };
    }
    case "intersection":
      return merge(keyShape(def.left, depth + 1), keyShape(def.right, depth + 1));
    case "union": {
      const shapes = (def.options as z.core.$ZodType[]).map((o) => keyShape(o, depth + 1));
      return shapes.reduce(merge);
    }
    case "array":
      return { kind: "array", item: keyShape(def.element, depth + 1) };
    case "pipe":
      return keyShape(def.in, depth + 1);
    case "lazy":
      return keyShape(def.getter(), depth + 1);
    default:
      return WRAPPERS.has(def.type) ? keyShape(def.innerType, depth + 1) : ANY;
  }
}

/** Field issues for every key of `value` its shape does not take, at any depth. */
export function unknownKeys(
  value: unknown,
  shape: KeyShape,
  prefix: string,
  path: (string | number)[] = [],
): FieldIssue[] {
  if (shape.kind === "array" && Array.isArray(value))
    return value.flatMap((v, i) => unknownKeys(v, shape.item, prefix, [...path, i]));
  if (shape.kind !== "object" || value === null || typeof value !== "object" || Array.isArray(value))
    return [];
  const out: FieldIssue[] = [];
  const known = [...shape.fields.keys()];
  for (const [k, v] of Object.entries(value)) {
    const field = shape.fields.get(k);
    if (field) out.push(...unknownKeys(v, field, prefix, [...path, k]));
    else if (!shape.open) out.push(unknownKeyIssue(prefix, [...path, k], known));
  }
  return out;
}
