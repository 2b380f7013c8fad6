/** Shared pieces of the custody routers: auth, rate limit, guard, error docs, response shapes. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { limitCaller } from "../access/limits.ts";
import { type GuardedRoute, guard } from "../access/route-table.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import type { AppEnv } from "../http/env.ts";
import { problemContent } from "../http/router.ts";

const Loose = (name: string, description: string) =>
  z.record(z.string(), z.unknown()).openapi(name, { description });

export const VaultSchema = Loose(
  "CustodyVault",
  "A vault: ciphersuite, t of n, status, guardians with their FROST identifiers, key status and group public key",
);
export const TransactionSchema = Loose(
  "CustodyTransaction",
  "A transaction: status, round, message to sign (hex), signer set, commitments, final signature",
);
export const DkgSchema = Loose("CustodyDkg", "The DKG transcript as the caller may see it");

const ERRORS = {
  400: problemContent(
    "`validation_failed`, `malformed_json`, `invalid_length`, `invalid_address`, `invalid_amount`, `invitation_invalid`",
  ),
  401: problemContent("not authenticated"),
  403: problemContent("`forbidden`, `not_a_guardian`, `not_a_signer`"),
  404: problemContent("`not_found`: no such vault or transaction (or not one of yours)"),
  409: problemContent(
    "`vault_state`, `vault_full`, `already_guardian`, `dkg_state`, `dkg_disagreement`, `transaction_state`, `already_submitted`, `commitment_reused`, `conflict`",
  ),
  422: problemContent("`invalid_point`, `invalid_scalar`, `key_invalid`, `invalid_signature_share`"),
};

export function routeKit(deps: AuthDeps) {
  const base = [requireAuth(deps, { apiKeys: true }), limitCaller(deps)];
  const security = [{ bearerAuth: [] }, { apiKey: [] }] as Record<string, string[]>[];
  return <P extends string>(o: {
    method: "get" | "post" | "delete";
    path: P;
    table: GuardedRoute;
    summary: string;
    request?: Record<string, unknown>;
    status?: 200 | 201 | 202;
    schema: z.ZodType;
  }) =>
    createRoute({
      method: o.method,
      path: o.path,
      tags: ["custody"],
      summary: o.summary,
      middleware: [...base, guard(o.table)],
      security,
      request: o.request ?? {},
      responses: {
        [o.status ?? 200]: { description: o.summary, content: { "application/json": { schema: o.schema } } },
        ...ERRORS,
      },
    });
}

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

/** A custody handler: takes the context, reads validated input with `input`, answers JSON. */
export type CustodyHandler = (c: Context<AppEnv>) => Promise<Response>;

/** What the route's validators accepted (its schema typed it already at the route). */
export function input<T>(c: Context<AppEnv>, target: "json" | "param" | "query"): T {
  return (c.req as unknown as { valid(t: string): T }).valid(target);
}

/**
 * Registers a route. The handlers answer with AppError problems or plain JSON,
 * so they skip hono's per-status response typing (it cannot follow the shared
 * route factory's generic responses).
 */
export function mount(
  router: OpenAPIHono<AppEnv>,
  def: ReturnType<ReturnType<typeof routeKit>>,
  handler: CustodyHandler,
) {
  router.openapi(def, handler as never);
}
