/**
 * The operations of the live OpenAPI document, and fast-check arbitraries for
 * values shaped like their schemas. Read from `/openapi.json` at run time, so
 * a route added later is fuzzed without touching the suite.
 */
import fc from "fast-check";

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  example?: unknown;
  default?: unknown;
};

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  /** As the document writes it: `/v1/admin/users/{id}`. */
  path: string;
  /** `GET /v1/admin/users/{id}`: stable, for messages and sorting. */
  id: string;
  params: Parameter[];
  body?: JsonSchema;
  /** Whether the document says it needs credentials. */
  secured: boolean;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const METHODS = ["get", "post", "put", "patch", "delete"];

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const body = (op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)
        ?.content?.["application/json"]?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        id: `${method.toUpperCase()} ${path}`,
        params: (op.parameters as Parameter[] | undefined) ?? [],
        ...(body ? { body } : {}),
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops.sort((a, b) => a.id.localeCompare(b.id));
}

/** Follows `$ref`s into components.schemas. */
export function resolve(doc: OpenApiDoc, s: JsonSchema | undefined): JsonSchema {
  let cur = s ?? {};
  for (let i = 0; cur.$ref && i < 20; i++) {
    const name = cur.$ref.split("/").pop()!;
    cur = doc.components?.schemas?.[name] ?? {};
  }
  return cur;
}

/**
 * Values that satisfy the schema more often than not (so requests get past
 * validation and reach the handlers), with `leaf` standing in for strings
 * the caller wants (ids it knows, hostile text).
 */
export function shaped(
  doc: OpenApiDoc,
  schema: JsonSchema | undefined,
  leaf: fc.Arbitrary<string>,
  depth = 0,
  /** Strings from the schema's own examples and formats only, wherever it has some. */
  strict = false,
): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  if (depth > 6) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((a) => shaped(doc, a, leaf, depth + 1, strict)));
  if (s.allOf?.length) {
    const parts = s.allOf.map((a) => shaped(doc, a, leaf, depth + 1, strict));
    return fc.tuple(...parts).map((vs) => Object.assign({}, ...vs.filter((v) => v && typeof v === "object")));
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "string":
      return stringFor(s, leaf, strict);
    case "integer":
      return fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 1000, 1_000_000) });
    case "number":
      return fc.double({
        noNaN: true,
        noDefaultInfinity: true,
        min: s.minimum ?? -1e6,
        max: s.maximum ?? 1e6,
      });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(shaped(doc, s.items, leaf, depth + 1, strict), { maxLength: 4 });
    case "object": {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = shaped(doc, v, leaf, depth + 1, strict);
      return fc.record(record, {
        requiredKeys: Object.keys(props).filter((k) => required.has(k)),
      });
    }
    default:
      return fc.oneof(fc.constant(null), leaf, fc.integer());
  }
}

const EXAMPLE_IP = fc.constantFrom("203.0.113.9", "2001:db8::1", "2001:db8::/64", "10.0.0.1");

function stringFor(s: JsonSchema, leaf: fc.Arbitrary<string>, strict: boolean): fc.Arbitrary<string> {
  const examples: string[] = [];
  if (typeof s.example === "string") examples.push(s.example);
  if (typeof s.default === "string") examples.push(s.default);
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 64);
  const plain = fc.string({ minLength: min, maxLength: Math.max(min, max) });
  const byFormat: fc.Arbitrary<string>[] = [];
  if (s.format === "uuid") byFormat.push(fc.uuid());
  if (s.format === "email") byFormat.push(fc.emailAddress());
  if (s.format === "date-time") byFormat.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
  if (s.pattern === "^[0-9a-f]{32}$") byFormat.push(fc.stringMatching(/^[0-9a-f]{32}$/));
  if (s.format === "ipv4" || /ip/i.test(String(s.example ?? ""))) byFormat.push(EXAMPLE_IP);
  if (strict && (byFormat.length || examples.length)) {
    return fc.oneof(...byFormat, ...(examples.length ? [fc.constantFrom(...examples)] : []));
  }
  return fc.oneof(
    { arbitrary: leaf, weight: 2 },
    { arbitrary: plain, weight: 1 },
    ...byFormat.map((arbitrary) => ({ arbitrary, weight: 3 })),
    ...(examples.length ? [{ arbitrary: fc.constantFrom(...examples), weight: 2 }] : []),
  );
}
