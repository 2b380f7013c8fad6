/**
 * The docs page, self-contained: HTML, one script, one stylesheet, all served
 * by Vigil (no CDN, so the CSP can stay `'self'` and the page works offline).
 * The script builds the DOM with textContent only: the spec is data, and
 * nothing from it is ever parsed as HTML.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil API</title>
<link rel="stylesheet" href="/docs/docs.css">
<script src="/docs/docs.js" defer></script>
</head>
<body>
<header><h1 id="title">Vigil API</h1><p id="subtitle">Loading /openapi.json…</p></header>
<nav id="nav"></nav>
<main id="main"></main>
</body>
</html>
`;

export const DOCS_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f7f8fa; }
body { margin: 0; display: grid; grid-template-columns: 16rem 1fr; grid-template-rows: auto 1fr; min-height: 100vh; }
header { grid-column: 1 / 3; background: #1d2330; color: #fff; padding: 0.8rem 1.5rem; }
header h1 { margin: 0; font-size: 1.3rem; } header p { margin: 0.2rem 0 0; opacity: 0.8; }
nav { padding: 1rem; border-right: 1px solid #dde1e8; overflow-y: auto; font-size: 0.9rem; }
nav a { display: block; color: #1d2330; text-decoration: none; padding: 0.15rem 0; }
nav h2 { font-size: 0.8rem; text-transform: uppercase; color: #6b7280; margin: 1rem 0 0.3rem; }
main { padding: 1rem 2rem; overflow-x: auto; }
section.op { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; margin: 0 0 1rem; padding: 0.8rem 1rem; }
.method { display: inline-block; min-width: 4rem; font-weight: 700; text-transform: uppercase; font-size: 0.8rem;
  padding: 0.15rem 0.4rem; border-radius: 4px; color: #fff; background: #4b5563; text-align: center; }
.method.get { background: #2563eb; } .method.post { background: #059669; } .method.delete { background: #dc2626; }
.method.put, .method.patch { background: #d97706; }
.path { font-family: ui-monospace, monospace; margin-left: 0.6rem; font-weight: 600; }
h3 { font-size: 0.95rem; margin: 0.8rem 0 0.3rem; }
pre { background: #f1f3f6; padding: 0.6rem; border-radius: 4px; overflow-x: auto; font-size: 0.8rem; }
table { border-collapse: collapse; font-size: 0.85rem; } td, th { border: 1px solid #dde1e8; padding: 0.25rem 0.5rem; text-align: left; }
`;

export const DOCS_JS = `"use strict";
(function () {
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (ch) {
      node.appendChild(typeof ch === "string" ? document.createTextNode(ch) : ch);
    });
    return node;
  }
  function json(value) { return el("pre", {}, [JSON.stringify(value, null, 2)]); }

  var spec;
  function resolve(schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      var name = schema.$ref.split("/").pop();
      schema = (spec.components && spec.components.schemas || {})[name];
    }
    return schema || {};
  }
  // A plausible example from the schema when the spec gives none.
  function sample(schema, depth) {
    schema = resolve(schema);
    if (depth > 6) return null;
    if (schema.example !== undefined) return schema.example;
    if (schema.examples && schema.examples.length) return schema.examples[0];
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    if (schema.const !== undefined) return schema.const;
    var alts = schema.anyOf || schema.oneOf || schema.allOf;
    if (alts && alts.length) return sample(alts[0], depth + 1);
    var type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === "object" || schema.properties) {
      var out = {};
      Object.keys(schema.properties || {}).forEach(function (k) { out[k] = sample(schema.properties[k], depth + 1); });
      return out;
    }
    if (type === "array") return [sample(schema.items || {}, depth + 1)];
    if (type === "integer" || type === "number") return 0;
    if (type === "boolean") return true;
    if (type === "string") return schema.format === "email" ? "user@example.com" : "string";
    return null;
  }
  function schemaBlock(title, schema, example) {
    var ref = schema && schema.$ref ? schema.$ref.split("/").pop() : null;
    var kids = [el("h3", {}, [title + (ref ? " (" : "")])];
    if (ref) { kids[0].appendChild(el("a", { href: "#schema-" + ref }, [ref])); kids[0].appendChild(document.createTextNode(")")); }
    kids.push(el("div", {}, [el("em", {}, ["Example"])]));
    kids.push(json(example !== undefined ? example : sample(schema, 0)));
    return el("div", {}, kids);
  }
  function operation(path, method, op) {
    var id = "op-" + method + "-" + path.replace(/[^a-zA-Z0-9]+/g, "-");
    var kids = [
      el("div", {}, [el("span", { class: "method " + method }, [method]), el("span", { class: "path" }, [path])]),
    ];
    if (op.summary) kids.push(el("p", {}, [op.summary]));
    if (op.description) kids.push(el("p", {}, [op.description]));
    if (op.parameters && op.parameters.length) {
      var rows = op.parameters.map(function (p) {
        return el("tr", {}, [el("td", {}, [p.name]), el("td", {}, [p.in]), el("td", {}, [p.required ? "yes" : "no"]),
          el("td", {}, [JSON.stringify(resolve(p.schema))])]);
      });
      kids.push(el("h3", {}, ["Parameters"]));
      kids.push(el("table", {}, [el("tr", {}, [el("th", {}, ["name"]), el("th", {}, ["in"]), el("th", {}, ["required"]), el("th", {}, ["schema"])])].concat(rows)));
    }
    var body = op.requestBody && op.requestBody.content;
    Object.keys(body || {}).forEach(function (type) {
      kids.push(schemaBlock("Request body: " + type, body[type].schema, body[type].example));
    });
    Object.keys(op.responses || {}).forEach(function (status) {
      var r = op.responses[status];
      kids.push(el("h3", {}, [status + " — " + (r.description || "")]));
      Object.keys(r.content || {}).forEach(function (type) {
        kids.push(schemaBlock(type, r.content[type].schema, r.content[type].example));
      });
    });
    return { id: id, node: el("section", { class: "op", id: id }, kids) };
  }
  function render() {
    document.title = spec.info.title + " " + spec.info.version;
    document.getElementById("title").textContent = spec.info.title;
    document.getElementById("subtitle").textContent = "OpenAPI " + spec.openapi + " · version " + spec.info.version;
    var nav = document.getElementById("nav");
    var main = document.getElementById("main");
    nav.appendChild(el("h2", {}, ["Operations"]));
    Object.keys(spec.paths || {}).sort().forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = operation(path, method, spec.paths[path][method]);
        main.appendChild(op.node);
        nav.appendChild(el("a", { href: "#" + op.id }, [method.toUpperCase() + " " + path]));
      });
    });
    var schemas = (spec.components && spec.components.schemas) || {};
    if (Object.keys(schemas).length) nav.appendChild(el("h2", {}, ["Schemas"]));
    Object.keys(schemas).sort().forEach(function (name) {
      main.appendChild(el("section", { class: "op", id: "schema-" + name }, [el("h3", {}, [name]), json(schemas[name]),
        el("div", {}, [el("em", {}, ["Example"])]), json(sample(schemas[name], 0))]));
      nav.appendChild(el("a", { href: "#schema-" + name }, [name]));
    });
  }
  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (s) { spec = s; render(); })
    .catch(function (e) { document.getElementById("subtitle").textContent = "Could not load /openapi.json: " + e; });
})();
`;
