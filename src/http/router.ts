/**
 * Routers for feature folders. Every router gets the validation hook, so a
 * feature cannot forget it and leak zod's raw error format; mount the result
 * with `app.route("/v1/things", router)` and its routes join /openapi.json.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { validationHook } from "./errors.ts";

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });

/** RFC 9457 problem details, as every error response is shaped. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:vigil:problem:validation_failed" }),
    title: z.string().openapi({ example: "Request validation failed" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: "The request has invalid fields" }),
    code: z.string().openapi({ example: "validation_failed" }),
    requestId: z.string().optional().openapi({ example: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a" }),
    errors: z
      .array(FieldIssueSchema)
      .optional()
      .openapi({ example: [{ path: "body.email", message: "Invalid email address" }] }),
  })
  .openapi("Problem");

/** The `content` of a problem response, for `responses` in createRoute. */
export function problemContent(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}
