/**
 * The security console at /console: server-rendered pages (Hono JSX), one
 * stylesheet and two small scripts served by Vigil itself. See docs/console.md.
 */
import type { Feature } from "../app.ts";
import { consoleApp } from "./app.tsx";

export const consoleFeature: Feature = (app, deps) => {
  if (!deps.auth) return; // No sign-in without auth services (bare test apps).
  app.route("/console", consoleApp(deps) as never);
};
