/**
 * Requests for one operation: well-formed from its schemas, then one place made
 * hostile (a path parameter, a query parameter, an extra query key, the body, a
 * header, the content type), so the hostile value meets a request that is
 * otherwise valid and reaches the handler's code and SQL. Now and then every
 * place at once ("chaos").
 */
import fc from "fast-check";
import {
  contentTypes,
  encode,
  headerValue,
  hostileString,
  mutateBody,
  toJson,
  wrongValue,
} from "./hostile.ts";
import { type OpenApiDoc, type Operation, shaped } from "./openapi.ts";

export interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

type Focus =
  | { kind: "none" | "body" | "header" | "content-type" | "query-extra" | "chaos" }
  | { kind: "path" | "query"; index: number };

export function requestFor(
  doc: OpenApiDoc,
  op: Operation,
  knownIds: fc.Arbitrary<string>,
): fc.Arbitrary<Req> {
  const benign = fc.oneof(knownIds, fc.string({ maxLength: 20 }));
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query");
  const headerParams = op.params.filter((p) => p.in === "header");
  const hasBody = op.method !== "GET";

  const focuses: Focus[] = [
    { kind: "none" },
    { kind: "header" },
    { kind: "query-extra" },
    { kind: "chaos" },
    ...pathParams.map((_, index) => ({ kind: "path" as const, index })),
    ...pathParams.map((_, index) => ({ kind: "path" as const, index })),
    ...queryParams.map((_, index) => ({ kind: "query" as const, index })),
    ...queryParams.map((_, index) => ({ kind: "query" as const, index })),
    ...(hasBody ? [{ kind: "body" as const }, { kind: "body" as const }, { kind: "body" as const }] : []),
    ...(hasBody ? [{ kind: "content-type" as const }] : []),
  ];

  const wellPath = fc.tuple(
    ...pathParams.map((p) =>
      fc.oneof({ arbitrary: knownIds, weight: 3 }, { arbitrary: shaped(doc, p.schema, benign), weight: 2 }),
    ),
  );
  // Optional parameters mostly absent and otherwise from the schema's examples, so that
  // the one hostile parameter meets a query that would otherwise pass validation.
  const wellQuery = fc.tuple(
    ...queryParams.map((p) => {
      const value = shaped(doc, p.schema, benign, 0, true);
      if (p.required) return value;
      return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: value, weight: 1 });
    }),
  );
  const wellBody = op.body ? shaped(doc, op.body, benign, 0, true) : fc.constant(undefined);

  return fc
    .record({
      focus: fc.constantFrom(...focuses),
      path: wellPath,
      query: wellQuery,
      body: wellBody,
      hostile: fc.oneof({ arbitrary: hostileString, weight: 4 }, { arbitrary: wrongValue, weight: 1 }),
      hostile2: hostileString,
      badBody: mutateBody(wellBody),
      header: headerValue,
      type: contentTypes,
      hostilePath: fc.array(hostileString, { minLength: pathParams.length, maxLength: pathParams.length }),
    })
    .map((g) => {
      const f = g.focus;
      const chaos = f.kind === "chaos";
      const pathValues = g.path.map((v, i) =>
        chaos ? g.hostilePath[i] : f.kind === "path" && f.index === i ? g.hostile : v,
      );
      let url = pathParams.reduce((u, p, i) => u.replace(`{${p.name}}`, encode(pathValues[i])), op.path);
      const pairs: string[] = [];
      queryParams.forEach((p, i) => {
        const v = (f.kind === "query" && f.index === i) || chaos ? g.hostile : g.query[i];
        if (v !== undefined) pairs.push(`${p.name}=${encode(v)}`);
      });
      if (f.kind === "query-extra" || chaos) pairs.push(`${encode(g.hostile2)}=${encode(g.hostile)}`);
      if (pairs.length) url += `?${pairs.join("&")}`;

      const headers: Record<string, string> = {};
      if (f.kind === "header" || chaos) {
        headers["User-Agent"] = g.header;
        for (const hp of headerParams) headers[hp.name] = g.header;
      }
      let body: string | undefined;
      if (hasBody) {
        if (f.kind === "body" || chaos) body = g.badBody;
        else if (g.body !== undefined) body = toJson(g.body);
        if (body !== undefined)
          headers["Content-Type"] = f.kind === "content-type" || chaos ? g.type : "application/json";
      }
      return { method: op.method, url, headers, ...(body === undefined ? {} : { body }) };
    });
}

/** Holds both things the input rule exists for: a NUL and a lone surrogate. */
export const SWEEP_TEXT = "x\u0000\ud800y";

/**
 * The systematic part, before the random one: one request per place where text
 * goes in (each path parameter, each query parameter, each top-level body
 * field, a body key), holding NUL (and, in bodies, a lone surrogate), the rest
 * of the request well-formed. Deterministic: every run covers every place.
 */
export function sweepFor(doc: OpenApiDoc, op: Operation, knownId: string): Req[] {
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query");
  const base = (arb: fc.Arbitrary<unknown>) => fc.sample(arb, { numRuns: 1, seed: 1 })[0];
  const benign = fc.constant(knownId);
  const required = queryParams
    .filter((p) => p.required)
    .map((p) => `${p.name}=${encode(base(shaped(doc, p.schema, benign, 0, true)))}`);
  const url = (pathAt = -1, extraQuery?: string) => {
    let u = pathParams.reduce(
      (acc, p, i) => acc.replace(`{${p.name}}`, i === pathAt ? "x%00y" : encode(knownId)),
      op.path,
    );
    const q = [...required, ...(extraQuery ? [extraQuery] : [])];
    if (q.length) u += `?${q.join("&")}`;
    return u;
  };
  const body = op.body ? base(shaped(doc, op.body, benign, 0, true)) : undefined;
  const withBody = (b: unknown): Req => ({
    method: op.method,
    url: url(),
    headers: { "Content-Type": "application/json" },
    body: toJson(b),
  });
  const reqs: Req[] = [];
  pathParams.forEach((_, i) => {
    reqs.push({ method: op.method, url: url(i), headers: {}, ...(body === undefined ? {} : withBody(body)) });
  });
  for (const p of queryParams) reqs.push({ method: op.method, url: url(-1, `${p.name}=x%00y`), headers: {} });
  if (body && typeof body === "object" && !Array.isArray(body)) {
    for (const key of Object.keys(body)) reqs.push(withBody({ ...body, [key]: SWEEP_TEXT }));
    reqs.push(withBody({ ...body, [SWEEP_TEXT]: 1 }));
  }
  return reqs;
}
