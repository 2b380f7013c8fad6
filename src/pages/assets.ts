/**
 * The hosted pages' stylesheet and script, served by Vigil (no CDN). The script
 * sends each form to Vigil's JSON API with fetch and writes the answer with
 * textContent only: nothing from the server or the URL is parsed as HTML.
 */
export const PAGES_CSS_PATH = "/pages/pages.css";
export const PAGES_JS_PATH = "/pages/pages.js";

export const PAGES_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f2f4f7; line-height: 1.5; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1rem; box-sizing: border-box; }
.card { background: #fff; max-width: 30rem; width: 100%; padding: 1.5rem 1.75rem; border-radius: 10px;
  box-shadow: 0 1px 3px rgba(29, 35, 48, 0.15); box-sizing: border-box; }
.brand { margin: 0; font-weight: 700; letter-spacing: 0.05em; color: #3b4a6b; text-transform: uppercase; font-size: 0.8rem; }
h1 { font-size: 1.4rem; margin: 0.3rem 0 1rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.3rem; }
input[type=password] { width: 100%; box-sizing: border-box; padding: 0.6rem; font-size: 1rem;
  border: 1px solid #8a93a6; border-radius: 6px; }
input:focus, button:focus { outline: 3px solid #2f6fed; outline-offset: 2px; }
.hint { font-size: 0.9rem; color: #4a5468; margin: 0.3rem 0 0; }
button { margin-top: 1.25rem; padding: 0.65rem 1.1rem; font-size: 1rem; font-weight: 600; color: #fff;
  background: #1f5ad6; border: 0; border-radius: 6px; cursor: pointer; }
button[disabled] { background: #6b7a99; cursor: progress; }
.notice { margin-top: 1rem; padding: 0.75rem 1rem; border-radius: 6px; background: #e8f0fe; }
.notice.ok { background: #e5f5ea; color: #14532d; }
.notice.error { background: #fdecec; color: #7f1d1d; }
.notice ul { margin: 0.4rem 0 0; padding-left: 1.2rem; }
pre { background: #f2f4f7; padding: 0.75rem; border-radius: 6px; overflow-x: auto; font-size: 0.85rem; }
`;

export const PAGES_JS = `"use strict";
(function () {
  // The token has done its job once the page holds it: keep it out of the address bar and history.
  if (location.search) history.replaceState(null, "", location.pathname);

  function show(el, kind, title, items) {
    el.hidden = false;
    el.className = "notice " + kind;
    el.textContent = title;
    if (items && items.length) {
      var ul = document.createElement("ul");
      items.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        ul.appendChild(li);
      });
      el.appendChild(ul);
    }
  }

  function messages(problem) {
    var out = [];
    (problem.errors || []).forEach(function (e) {
      if (e && typeof e.message === "string" && out.indexOf(e.message) < 0) out.push(e.message);
    });
    return out;
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    var status = document.getElementById("status");
    var button = form.querySelector("button");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      var mismatch = false;
      form.querySelectorAll("input").forEach(function (input) {
        if (input.name) body[input.name] = input.value;
        var other = input.getAttribute("data-same-as");
        if (other && input.value !== form.querySelector("[name=" + other + "]").value) mismatch = true;
      });
      if (mismatch) {
        show(status, "error", "The two passwords differ.");
        return;
      }
      button.disabled = true;
      fetch(form.getAttribute("data-api"), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        credentials: "omit",
        body: JSON.stringify(body),
      })
        .then(function (res) {
          return res.json().then(
            function (json) { return { ok: res.ok, json: json }; },
            function () { return { ok: res.ok, json: {} }; }
          );
        })
        .then(function (r) {
          if (r.ok) {
            form.hidden = true;
            show(status, "ok", form.getAttribute("data-success"));
            return;
          }
          button.disabled = false;
          show(status, "error", r.json.detail || r.json.title || "Vigil refused the request.", messages(r.json));
        })
        .catch(function () {
          button.disabled = false;
          show(status, "error", "Vigil could not be reached. Check your connection and try again.");
        });
    });
  });
})();
`;
