/**
 * Routers for feature folders. Every router gets the validation hook, so a
 * feature cannot forget it and leak zod's raw error format; mount the result
 * with `app.route("/v1/things", router)` and its routes join /openapi.json.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { ERROR_CODES, type ErrorCode, validationHook } from "./errors.ts";
import { keyShape } from "./known-keys.ts";

type OpenApiArgs = Parameters<OpenAPIHono<AppEnv>["openapi"]>;

export function createRouter(): OpenAPIHono<AppEnv> {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: (result, c) => validationHook(result, c) });
  // Each route with a JSON body gets a hook that knows the keys its schema takes (unknown keys are refused).
  const openapi = router.openapi.bind(router) as (
    ...args: OpenApiArgs
  ) => ReturnType<OpenAPIHono<AppEnv>["openapi"]>;
  router.openapi = ((route: OpenApiArgs[0], handler: OpenApiArgs[1], hook?: OpenApiArgs[2]) => {
    const schema = (route.request?.body?.content?.["application/json"] as { schema?: unknown } | undefined)
      ?.schema;
    if (hook || !schema || typeof schema !== "object" || !("_zod" in schema))
      return openapi(route, handler, hook);
    const keys = keyShape(schema as Parameters<typeof keyShape>[0]);
    return openapi(route, handler, ((result: Parameters<typeof validationHook>[0], c: Context<AppEnv>) =>
      validationHook(result, c, keys)) as unknown as OpenApiArgs[2]);
  }) as typeof router.openapi;
  return router;
}

export const FieldIssueSchema = z
  .object({
    path: z.string().openapi({ example: "body.email" }),
    message: z.string().openapi({ example: "email is required" }),
    code: z
      .string()
      .optional()
      .openapi({ description: "A finer code, e.g. the password policy's `password_too_short`" }),
  })
  .openapi("FieldIssue");

/** RFC 9457 problem details, as every error response is shaped. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:vigil:problem:validation_failed" }),
    title: z.string().openapi({ example: "Request validation failed" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: "The request has invalid fields" }),
    // The whole vocabulary, so generated clients get the codes as a type.
    code: z
      .enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]])
      .openapi({ example: "validation_failed" }),
    requestId: z.string().optional().openapi({ example: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a" }),
    errors: z
      .array(FieldIssueSchema)
      .optional()
      .openapi({ example: [{ path: "body.email", message: "email is required" }] }),
  })
  .openapi("Problem");

/** The `content` of a problem response, for `responses` in createRoute. */
export function problemContent(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}
