/**
 * The docs page's stylesheet and script, served by Vigil (no CDN, so the CSP
 * can stay `'self'` and the page works offline). The page itself is rendered
 * on the server (docs-page.ts); the script only adds a filter over the
 * operations, so the page is complete without it.
 */

export const DOCS_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f7f8fa; }
body { margin: 0; display: grid; grid-template-columns: 16rem 1fr; grid-template-rows: auto 1fr; min-height: 100vh; }
header { grid-column: 1 / 3; } header a { color: #cfe0ff; }
header { background: #1d2330; color: #fff; padding: 0.8rem 1.5rem; }
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
h4 { font-size: 0.85rem; margin: 0.8rem 0 0.3rem; }
dt { font-weight: 700; margin-top: 0.4rem; } dt.s2 { color: #047857; } dt.s4 { color: #b45309; } dt.s5 { color: #b91c1c; }
dd { margin-left: 1rem; } summary { cursor: pointer; font-size: 0.85rem; }
nav ul { list-style: none; padding: 0; margin: 0; } nav .m { display: inline-block; min-width: 3.5rem; font-weight: 700; font-size: 0.75rem; }
.creds { font-size: 0.85rem; color: #374151; }
@media (max-width: 700px) { body { display: block; } nav { border-right: 0; border-bottom: 1px solid #dde1e8; max-height: 40vh; } main { padding: 1rem; } }
table { border-collapse: collapse; font-size: 0.85rem; } td, th { border: 1px solid #dde1e8; padding: 0.25rem 0.5rem; text-align: left; }
`;

export const DOCS_JS = `"use strict";
(function () {
  var input = document.getElementById("filter");
  var box = document.getElementById("filter-box");
  if (!input || !box) return;
  box.hidden = false;
  var ops = Array.prototype.slice.call(document.querySelectorAll("section.op[data-filter]"));
  var links = Array.prototype.slice.call(document.querySelectorAll("nav li"));
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    ops.forEach(function (s, i) {
      var show = !q || s.getAttribute("data-filter").indexOf(q) >= 0;
      s.hidden = !show;
      if (links[i]) links[i].hidden = !show;
    });
  });
})();
`;
