/** GET /.well-known/jwks.json: the public keys that verify access tokens (current and recently retired). */
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/router.ts";
import type { AuthDeps } from "./deps.ts";

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["identity"],
  summary: "JSON Web Key Set for access tokens",
  responses: {
    200: {
      description: "Ed25519 public keys (OKP), by kid",
      content: {
        "application/json": {
          schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("Jwks"),
        },
      },
    },
  },
});

export function jwksRouter(deps: AuthDeps) {
  return createRouter().openapi(jwksRoute, async (c) => {
    await deps.auth.keys.refreshIfStale();
    // Short cache: a rotated key must reach verifiers well within one access-token lifetime.
    return c.json(deps.auth.keys.jwks(), 200, { "Cache-Control": "public, max-age=300" });
  });
}
