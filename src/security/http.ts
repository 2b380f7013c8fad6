/** What the security routes share: auth + permission middleware, opaque cursors, common schemas. */
import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type GuardedRoute, guard } from "../access/route-table.ts";
import type { AppDeps } from "../app.ts";
import { requireAuth } from "../auth/middleware.ts";
import { base64UrlDecode, base64UrlEncode, utf8 } from "../crypto/random.ts";
import type { AppEnv } from "../http/env.ts";
import { AppError } from "../http/errors.ts";
import { problemContent } from "../http/router.ts";
import { limitAuthenticated } from "./ratelimit/policies.ts";

/**
 * Auth, the route's permission from the route table (so the generated matrix
 * tests cover it), and the per-user limit. API keys with the `admin` scope are
 * accepted: monitoring is what a SIEM pulls with a key.
 */
export function guards(deps: AppDeps) {
  const auth = requireAuth(deps, { apiKeys: true });
  const limit = limitAuthenticated(deps);
  return (route: GuardedRoute) => ({
    middleware: [auth, guard(route), limit] as MiddlewareHandler<AppEnv>[],
    security: [{ bearerAuth: [] }],
  });
}

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const AUTH_PROBLEMS = {
  401: problemContent("`unauthorized`, `token_invalid`, `token_expired` or `session_revoked`"),
  403: problemContent("`forbidden`: the caller lacks the permission"),
} as const;

/** Opaque to clients: base64url of the sort key's parts. */
export function encodeCursor(parts: readonly string[]): string {
  return base64UrlEncode(utf8(parts.join("\n")));
}

export function decodeCursor(cursor: string, count: number, valid: (parts: string[]) => boolean): string[] {
  let parts: string[] | undefined;
  try {
    parts = new TextDecoder("utf-8", { fatal: true }).decode(base64UrlDecode(cursor)).split("\n");
  } catch {
    parts = undefined;
  }
  if (!parts || parts.length !== count || !valid(parts)) {
    throw new AppError("validation_failed", "The request has invalid fields", {
      errors: [{ path: "query.cursor", message: "not a cursor this endpoint issued" }],
    });
  }
  return parts;
}

export const limitParam = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ example: fallback });

export const toIso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
