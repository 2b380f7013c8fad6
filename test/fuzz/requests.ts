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
