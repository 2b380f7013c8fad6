/**
 * For JSON routes: a body must be declared JSON (else 415) and must parse
 * (else 400 malformed_json), checked before the route's validator so clients
 * get the precise code. Hono caches the parsed body, so validators reuse it.
 * The parsed value must then pass the input rule: valid Unicode, no NUL, in
 * every key and string, nested at most MAX_JSON_DEPTH deep.
 * Mounted on /v1; a future upload route would mount outside it or opt out.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { matchedRoutes } from "hono/route";
import { AppError } from "../errors.ts";
import { findJsonTextProblem } from "../text.ts";
import { refuse } from "./input-rule.ts";

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function jsonBody(): MiddlewareHandler {
  // Not async: a request without a body passes through without a promise of its own.
  return (c, next) => {
    if (!WITH_BODY.has(c.req.method) || !c.req.raw.body) return next();
    return checked(c, next);
  };

  async function checked(c: Context, next: Next): Promise<void> {
    // No handler for this method and path: let it become a 404/405, not a body complaint.
    if (!matchedRoutes(c).some((r) => r.method !== "ALL")) return next();
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
    if (!JSON_TYPE.test(type)) {
      // An empty body with no type is a body-less request, not a wrong media type.
      const text = await c.req.text();
      if (text.length === 0 && type === "") return next();
      throw new AppError("unsupported_media_type", "Send the request body as application/json");
    }
    let value: unknown;
    try {
      value = await c.req.json();
    } catch {
      throw new AppError("malformed_json", "The request body is not valid JSON");
    }
    // The input rule (src/http/text.ts) for every key and string at any depth.
    const problem = findJsonTextProblem(value, "body");
    if (problem) throw refuse(problem);
    return next();
  }
}
