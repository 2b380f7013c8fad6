/** POST /v1/api-keys, GET /v1/api-keys, DELETE /v1/api-keys/{id}. */
import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_SCOPES } from "../../events/catalog/api-keys.ts";
import { limitCaller } from "../access/limits.ts";
import { ownedBy } from "../access/permissions.ts";
import { guard } from "../access/route-table.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { textLine } from "../http/text.ts";
import { createApiKey, revokeApiKey } from "./commands.ts";
import { apiKeyBody, apiKeyById, apiKeysOf } from "./store.ts";

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ example: "mk_3kTq9ZbW" }),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    lastUsedIp: z.string().nullable(),
  })
  .openapi("ApiKey");

const CreatedSchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself. Shown this once; Vigil keeps only its SHA-256." }),
}).openapi("ApiKeyCreated");

const UNAUTHORIZED = problemContent(
  "`unauthorized`, `token_*`, `session_revoked`, or `api_key_malformed` / `api_key_invalid` / `api_key_expired` / `api_key_revoked`",
);

export function apiKeysRouter(deps: AuthDeps) {
  const secured = {
    middleware: [requireAuth(deps, { apiKeys: true }), limitCaller(deps)],
    security: [{ bearerAuth: [] }, { apiKey: [] }] as Record<string, string[]>[],
  };
  const create = createRoute({
    method: "post",
    path: "/api-keys",
    tags: ["api-keys"],
    summary: "Create an API key (shown once)",
    ...secured,
    middleware: [...secured.middleware, guard("POST /v1/api-keys")],
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({
              name: textLine({ max: 100 }),
              scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(3),
              expiresAt: z.iso.datetime({ offset: true }).optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: { description: "The key, shown once", content: { "application/json": { schema: CreatedSchema } } },
      401: UNAUTHORIZED,
      403: problemContent("`forbidden`: more scopes than you (or the calling key) hold"),
    },
  });
  const list = createRoute({
    method: "get",
    path: "/api-keys",
    tags: ["api-keys"],
    summary: "Your API keys (never the keys themselves)",
    ...secured,
    middleware: [...secured.middleware, guard("GET /v1/api-keys")],
    responses: {
      200: {
        description: "Newest first, revoked ones included",
        content: { "application/json": { schema: z.object({ apiKeys: z.array(ApiKeySchema) }) } },
      },
      401: UNAUTHORIZED,
      403: problemContent("`forbidden`"),
    },
  });
  const revoke = createRoute({
    method: "delete",
    path: "/api-keys/{id}",
    tags: ["api-keys"],
    summary: "Revoke one of your API keys, at once",
    ...secured,
    middleware: [...secured.middleware, guard("DELETE /v1/api-keys/{id}")],
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: {
      204: { description: "Revoked (or already was)" },
      401: UNAUTHORIZED,
      403: problemContent("`forbidden`"),
      404: problemContent("`not_found`: no such key of yours"),
    },
  });

  return createRouter()
    .openapi(create, async (c) => {
      const { key, state } = await createApiKey(deps, c.get("auth"), c.req.valid("json"), eventMetadata(c));
      return c.json({ ...apiKeyBody(state), key }, 201, {
        "Cache-Control": "no-store",
        Location: `/v1/api-keys/${state.keyId}`,
      });
    })
    .openapi(list, async (c) => {
      const keys = await apiKeysOf(deps.db, c.get("auth").userId);
      return c.json({ apiKeys: keys.map(apiKeyBody) }, 200);
    })
    .openapi(revoke, async (c) => {
      const key = ownedBy(c.get("auth"), await apiKeyById(deps.db, c.req.valid("param").id), "API key");
      await revokeApiKey(deps, key, "revoked_by_user", eventMetadata(c));
      return c.body(null, 204);
    });
}
