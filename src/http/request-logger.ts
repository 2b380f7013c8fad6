/**
 * The request's child logger (it carries the request id), made on first use.
 * A pino child serialises its bindings as it is made, about a microsecond on
 * every request, and most requests log nothing but the access line, which is
 * written only at level info.
 */
import type { Context } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./env.ts";

export function requestLogger(c: Context<AppEnv>): Logger | undefined {
  const made = c.get("logger");
  if (made) return made;
  const root = c.get("rootLogger");
  if (!root) return undefined;
  const child = root.child({ requestId: c.get("requestId") });
  c.set("logger", child);
  return child;
}
