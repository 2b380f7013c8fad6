/**
 * The /docs page, rendered on the server from the OpenAPI document: every
 * operation, its credentials, parameters and body fields (required, type,
 * limits), and each response with its own example; referenced schemas are
 * resolved and listed. It is complete before any script runs; docs.js only
 * adds a filter. Everything from the document is HTML-escaped.
 */

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON, walked generically.
type Json = Record<string, any>;

const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const METHODS = ["get", "put", "post", "delete", "patch"];
const anchor = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, "-");

function refName(s: Json | undefined): string | undefined {
  return typeof s?.$ref === "string" ? s.$ref.split("/").pop() : undefined;
}

function resolver(doc: Json) {
  const schemas: Json = doc.components?.schemas ?? {};
  const responses: Json = doc.components?.responses ?? {};
  const schema = (s: Json | undefined): Json => {
    let cur = s ?? {};
    for (let i = 0; cur.$ref && i < 20; i++) cur = schemas[refName(cur)!] ?? {};
    return cur;
  };
  const response = (r: Json): Json => (r.$ref ? (responses[refName(r)!] ?? {}) : r);
  return { schema, response };
}

type Resolver = ReturnType<typeof resolver>;

function typeOf(s: Json, r: Resolver): string {
  const name = refName(s);
  if (name) return `<a href="#schema-${anchor(name)}">${esc(name)}</a>`;
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map((a: Json) => typeOf(a, r)).join(" | ");
  if (s.allOf) return s.allOf.map((a: Json) => typeOf(a, r)).join(" &amp; ");
  if (s.type === "array") return `${typeOf(s.items ?? {}, r)}[]`;
  const t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "any");
  return esc(s.format ? `${t} (${s.format})` : t);
}

function limits(s: Json): string {
  const out: string[] = [];
  if (s.minLength !== undefined || s.maxLength !== undefined)
    out.push(`${s.minLength ?? 0}–${s.maxLength ?? "∞"} characters`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined || s.maxItems !== undefined)
    out.push(`${s.minItems ?? 0}–${s.maxItems ?? "∞"} items`);
  if (s.pattern) out.push(`pattern <code>${esc(s.pattern)}</code>`);
  if (s.enum)
    out.push(`one of ${s.enum.map((e: unknown) => `<code>${esc(JSON.stringify(e))}</code>`).join(", ")}`);
  if (s.const !== undefined) out.push(`exactly <code>${esc(JSON.stringify(s.const))}</code>`);
  if (s.default !== undefined) out.push(`default <code>${esc(JSON.stringify(s.default))}</code>`);
  return out.join("; ");
}

/** The properties of an object schema, following $ref and allOf. */
function fields(s: Json, r: Resolver): { props: Json; required: string[] } {
  const o = r.schema(s);
  const parts = o.allOf ? o.allOf.map((p: Json) => fields(p, r)) : [];
  return {
    props: Object.assign({}, ...parts.map((p: { props: Json }) => p.props), o.properties ?? {}),
    required: [...parts.flatMap((p: { required: string[] }) => p.required), ...(o.required ?? [])],
  };
}

function fieldTable(s: Json, r: Resolver): string {
  const { props, required } = fields(s, r);
  const names = Object.keys(props);
  if (names.length === 0) return "";
  const rows = names.map((n) => {
    const p = props[n];
    const shown = r.schema(p);
    return `<tr><td><code>${esc(n)}</code></td><td>${typeOf(p, r)}</td><td>${required.includes(n) ? "required" : "optional"}</td><td>${limits(shown)}</td><td>${esc(shown.description ?? p.description ?? "")}</td></tr>`;
  });
  return `<table><thead><tr><th>field</th><th>type</th><th></th><th>limits</th><th>description</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function sample(s: Json, r: Resolver, depth = 0): unknown {
  const o = r.schema(s);
  if (depth > 6) return null;
  if (o.example !== undefined) return o.example;
  if (o.examples?.length) return o.examples[0];
  if (o.default !== undefined) return o.default;
  if (o.enum) return o.enum[0];
  if (o.const !== undefined) return o.const;
  const alts = o.anyOf ?? o.oneOf;
  if (alts?.length) return sample(alts[0], r, depth + 1);
  if (o.allOf || o.properties || o.type === "object") {
    const { props } = fields(o, r);
    const names = Object.keys(props);
    // A free-form object (a record): show its shape, not `{}`.
    if (names.length === 0)
      return {
        "<name>": o.additionalProperties ? (sample(o.additionalProperties, r, depth + 1) ?? "…") : "…",
      };
    return Object.fromEntries(names.map((k) => [k, sample(props[k], r, depth + 1)]));
  }
  if (o.type === "array") return [sample(o.items ?? {}, r, depth + 1)];
  if (o.type === "integer" || o.type === "number") return o.minimum ?? 0;
  if (o.type === "boolean") return true;
  if (o.type === "string")
    return o.format === "email"
      ? "ada@example.com"
      : o.format === "uuid"
        ? "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a"
        : "string";
  return null;
}

const pre = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

function security(op: Json, doc: Json): string {
  const alts: Json[] = op.security ?? [];
  if (alts.length === 0) return `<p class="creds">No credentials.</p>`;
  const schemes: Json = doc.components?.securitySchemes ?? {};
  const names = alts.map((alt) =>
    Object.keys(alt)
      .map((k) =>
        schemes[k]?.type === "http"
          ? "bearer access token (JWT)"
          : schemes[k]?.type === "apiKey"
            ? `API key (<code>${esc(schemes[k].name)}</code>)`
            : esc(k),
      )
      .join(" and "),
  );
  return `<p class="creds">Credentials: ${names.join(" or ")}.</p>`;
}

function operation(path: string, method: string, op: Json, doc: Json, r: Resolver): string {
  const id = `op-${method}-${anchor(path)}`;
  const out = [
    `<section class="op" id="${id}" data-filter="${esc(`${method} ${path} ${op.summary ?? ""} ${(op.tags ?? []).join(" ")}`.toLowerCase())}">`,
    `<h3><span class="method ${method}">${method}</span><span class="path">${esc(path)}</span></h3>`,
    op.summary ? `<p>${esc(op.summary)}</p>` : "",
    op.description ? `<p>${esc(op.description)}</p>` : "",
    security(op, doc),
  ];
  const params: Json[] = op.parameters ?? [];
  if (params.length) {
    const rows = params.map((p) => {
      const s = r.schema(p.schema);
      return `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${typeOf(p.schema ?? {}, r)}</td><td>${p.required ? "required" : "optional"}</td><td>${limits(s)}</td><td>${esc(p.description ?? s.description ?? "")}</td></tr>`;
    });
    out.push(
      `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th></th><th>limits</th><th>description</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
    );
  }
  for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) {
    out.push(
      `<h4>Request body <code>${esc(type)}</code> ${op.requestBody.required ? "(required)" : "(optional)"}</h4>`,
    );
    out.push(fieldTable(media.schema ?? {}, r));
    out.push(
      `<details><summary>Example</summary>${pre(media.example ?? sample(media.schema ?? {}, r))}</details>`,
    );
  }
  out.push("<h4>Responses</h4><dl>");
  for (const [status, raw] of Object.entries((op.responses ?? {}) as Json)) {
    const resp = r.response(raw);
    out.push(`<dt class="s${esc(status[0])}">${esc(status)}</dt><dd>${esc(resp.description ?? "")}`);
    for (const [type, media] of Object.entries((resp.content ?? {}) as Json)) {
      const name = refName(media.schema);
      out.push(
        `<details><summary>${esc(type)}${name ? ` · <a href="#schema-${anchor(name)}">${esc(name)}</a>` : ""}</summary>${pre(media.example ?? sample(media.schema ?? {}, r))}</details>`,
      );
    }
    out.push("</dd>");
  }
  out.push("</dl></section>");
  return out.join("\n");
}

export function renderDocsPage(doc: Json): string {
  const r = resolver(doc);
  const ops: string[] = [];
  const nav: string[] = [];
  for (const path of Object.keys(doc.paths ?? {}).sort()) {
    for (const method of METHODS) {
      const op = doc.paths[path][method];
      if (!op) continue;
      ops.push(operation(path, method, op, doc, r));
      nav.push(
        `<li><a href="#op-${method}-${anchor(path)}"><span class="m">${method.toUpperCase()}</span> ${esc(path)}</a></li>`,
      );
    }
  }
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Json).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const schemaSections = schemas.map(
    ([name, s]) =>
      `<section class="op schema" id="schema-${anchor(name)}"><h3>${esc(name)}</h3>${s.description ? `<p>${esc(s.description)}</p>` : ""}${fieldTable(s, r) || `<p>${typeOf(s, r)} ${limits(s)}</p>`}<details><summary>Example</summary>${pre(sample(s, r))}</details></section>`,
  );
  const info = doc.info ?? {};
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} ${esc(info.version)}</title>
<link rel="stylesheet" href="/docs/docs.css">
<script src="/docs/docs.js" defer></script>
</head>
<body>
<header><h1>${esc(info.title)}</h1><p>OpenAPI ${esc(doc.openapi)} · version ${esc(info.version)} · <a href="/openapi.json">/openapi.json</a></p><p>${esc(info.description ?? "")}</p></header>
<nav aria-label="Operations"><span id="filter-box" hidden><label for="filter">Filter</label> <input id="filter" type="search" placeholder="path, method or tag"></span>
<h2>Operations</h2><ul>${nav.join("")}</ul>
<h2>Schemas</h2><ul>${schemas.map(([n]) => `<li><a href="#schema-${anchor(n)}">${esc(n)}</a></li>`).join("")}</ul></nav>
<main>
${ops.join("\n")}
<h2>Schemas</h2>
${schemaSections.join("\n")}
</main>
</body>
</html>
`;
}
