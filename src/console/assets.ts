/**
 * The console's stylesheet and scripts, plain files next to this one and served
 * as they are: nothing to build, the same on Node and Deno, and a strict CSP
 * needs nothing inline. Read once, at the first request.
 */
import { readFileSync } from "node:fs";
import { Hono } from "hono";

const FILES = {
  "console.css": "text/css; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "tail.js": "text/javascript; charset=utf-8",
  "refresh.js": "text/javascript; charset=utf-8",
} as const;

const cache = new Map<string, string>();

function load(name: keyof typeof FILES): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
    cache.set(name, text);
  }
  return text;
}

export function assetRoutes() {
  const r = new Hono();
  for (const [name, type] of Object.entries(FILES)) {
    r.get(`/${name}`, (c) =>
      c.body(load(name as keyof typeof FILES), 200, {
        "Content-Type": type,
        "Cache-Control": "public, max-age=300",
      }),
    );
  }
  return r;
}
