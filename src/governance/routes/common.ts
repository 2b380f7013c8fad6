/** Shared pieces of the governance and wallet routers. */
import { z } from "@hono/zod-openapi";
import { limitCaller } from "../../access/limits.ts";
import type { AuthDeps } from "../../auth/deps.ts";
import { requireAuth } from "../../auth/middleware.ts";
import { problemContent } from "../../http/router.ts";

/** Printable text on one line: no control characters (they would blur the signed texts and logs). */
const isControl = (code: number) =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;

export const oneLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine(
      (t) => ![...t].some((ch) => isControl(ch.codePointAt(0)!)),
      "must be one line without control characters",
    );

export const Reason = oneLine(500).trim().min(3).openapi({ example: "ticket GOV-7: treasury risk" });

export const ERRORS = {
  401: problemContent("not authenticated"),
  403: problemContent("`forbidden`"),
  404: problemContent("`not_found`"),
};

export const ok = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

export function secured(deps: AuthDeps) {
  return {
    base: [requireAuth(deps, { apiKeys: true }), limitCaller(deps)],
    security: [{ bearerAuth: [] }, { apiKey: [] }] as Record<string, string[]>[],
  };
}

export const IdParam = z.object({ id: z.uuid() });
