/** What the console's route files share: the Hono env, form reading, reasons, redirects with a fixed notice. */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { type GuardedRoute, guard } from "../access/route-table.ts";
import type { AppEnv, AppVariables } from "../http/env.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { reasonText } from "../http/text.ts";
import { viewFor } from "./view.ts";

export interface ConsoleEnv {
  Variables: AppVariables & { nonce: string; csrf: string };
}
export type ConsoleContext = Context<ConsoleEnv>;

export const consoleRouter = () => new Hono<ConsoleEnv>();

/** A url-encoded or multipart form's string fields (files are ignored). */
export async function form(c: ConsoleContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => {
    throw new AppError("validation_failed", "The form could not be read");
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

const REASON = reasonText({ max: 500 });

/** The same bounds and character rules as the API's `reason` fields. */
export function reasonOf(fields: Record<string, string>, required = true): string | undefined {
  const raw = fields.reason?.trim() ?? "";
  if (!raw && !required) return undefined;
  const parsed = REASON.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("validation_failed", "Give a reason (1 to 500 characters, no control characters)", {
      errors: [{ path: "reason", message: parsed.error.issues[0]?.message ?? "invalid" }],
    });
  }
  return parsed.data;
}

/** Notices are named, never echoed from the URL, so a link cannot put words in the console's mouth. */
export const NOTICES = {
  acknowledged: "Alert acknowledged.",
  resolved: "Alert resolved.",
  unchanged: "Nothing to change: it already was in that state.",
  lifted: "Ban lifted.",
  unlocked: "User unlocked.",
  disabled: "User disabled; their sessions and API keys were revoked.",
  enabled: "User enabled.",
  granted: "Role granted.",
  revoked: "Role revoked.",
  sessions: "Sessions revoked.",
} as const;

export type Notice = keyof typeof NOTICES;

export function redirectWith(c: ConsoleContext, to: string, notice: Notice): Response {
  return c.redirect(`${to}${to.includes("?") ? "&" : "?"}notice=${notice}`, 303);
}

export function viewOf(c: ConsoleContext) {
  const n = c.req.query("notice");
  return viewFor(c.get("auth"), {
    nonce: c.get("nonce"),
    csrf: c.get("csrf"),
    path: c.req.path,
    notice: n && n in NOTICES ? NOTICES[n as Notice] : undefined,
  });
}

/** Event metadata as the API routes record it (actor, IP, user agent, request id), with the reason. */
export const metaOf = (c: ConsoleContext, reason?: string) =>
  eventMetadata(c as unknown as Context<AppEnv>, reason === undefined ? {} : { reason });

/** The API route's own permission check (src/access/route-table.ts), for the console action that mirrors it. */
export const sameAs = (route: GuardedRoute) => guard(route) as unknown as MiddlewareHandler<ConsoleEnv>;
