/**
 * The admin API under /v1/admin. Every route declares its permission through
 * the route table (src/access/route-table.ts); admin permissions also need the
 * caller's two-factor on (ADMIN_REQUIRE_MFA). Every action takes a `reason`,
 * recorded with the actor in the event and its metadata. API keys with the
 * `admin` scope are accepted.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { limitCaller } from "../access/limits.ts";
import { ROLES } from "../access/permissions.ts";
import { type GuardedRoute, guard } from "../access/route-table.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { reasonText } from "../http/text.ts";
import { issuePasswordReset } from "../identity/password-reset.ts";
import {
  disableUser,
  enableUser,
  eraseUser,
  grantRole,
  revokeRole,
  revokeUserSessions,
  unlockUser,
} from "./commands.ts";
import { searchUsers, userDetail } from "./queries.ts";

const Reason = reasonText({ min: 3, max: 500 }).openapi({ example: "ticket SEC-142: left the company" });
const UserId = z.object({ id: z.uuid() });
const ReasonBody = z.object({ reason: Reason });
const RoleBody = z.object({ role: z.enum(ROLES), reason: Reason });

const AdminUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string().nullable(),
    roles: z.array(z.string()),
    status: z.string(),
    emailVerified: z.boolean(),
    createdAt: z.string(),
    lockout: z.object({ locked: z.boolean(), lockedUntil: z.string().nullable(), failedLogins: z.number() }),
    mfa: z.object({
      totpEnabled: z.boolean(),
      enabledAt: z.string().nullable(),
      backupCodesRemaining: z.number(),
    }),
    sessions: z.array(z.record(z.string(), z.unknown())),
    apiKeys: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi("AdminUser");

/** No-op rule: an action answers the current state and whether it changed anything. */
const AdminActionSchema = AdminUserSchema.extend({
  changed: z
    .boolean()
    .openapi({ description: "false: the user already was in that state; nothing was recorded" }),
}).openapi("AdminUserAction");

const ERRORS = {
  401: problemContent("not authenticated"),
  403: problemContent("`forbidden`, or `mfa_required` (enable two-factor first)"),
  404: problemContent("`not_found`: no such user"),
  // Every status an action can answer, so clients generated from the document handle them.
  400: problemContent("`validation_failed`: a bad id, reason or role, naming the field"),
  409: problemContent(
    "`last_admin` (the last active admin stays), or `account_erased` (an erased account stays closed)",
  ),
  503: problemContent("`service_unavailable` or `request_timeout`: try again after `Retry-After`"),
};
const ok = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <S extends z.ZodType>(schema: S) => ({
  params: UserId,
  body: { required: true, content: { "application/json": { schema } } },
});

export function adminRouter(deps: AuthDeps) {
  const base = [requireAuth(deps, { apiKeys: true }), limitCaller(deps)];
  const security = [{ bearerAuth: [] }, { apiKey: [] }] as Record<string, string[]>[];
  const action = (route: GuardedRoute, path: string, summary: string, schema: z.ZodType = ReasonBody) =>
    createRoute({
      method: "post",
      path,
      tags: ["admin"],
      summary,
      middleware: [...base, guard(route)],
      security,
      request: body(schema),
      responses: {
        200: ok(
          AdminActionSchema,
          "The user after the action; `changed: false` when there was nothing to do (nothing appended)",
        ),
        ...ERRORS,
        409: problemContent("`last_admin`: the last active admin keeps the role and the account"),
      },
    });

  const list = createRoute({
    method: "get",
    path: "/admin/users",
    tags: ["admin"],
    summary: "Search users by email prefix, role and status (cursor pagination, oldest first)",
    middleware: [...base, guard("GET /v1/admin/users")],
    security,
    request: {
      query: z.object({
        email: z.string().max(254).optional(),
        role: z.enum(ROLES).optional(),
        status: z.enum(["active", "disabled"]).optional(),
        cursor: z.string().max(512).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
    },
    responses: {
      200: ok(
        z.object({ users: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }),
        "A page of users",
      ),
      ...ERRORS,
    },
  });
  const view = createRoute({
    method: "get",
    path: "/admin/users/{id}",
    tags: ["admin"],
    summary: "One user: roles, lockout, two-factor, sessions, API keys",
    middleware: [...base, guard("GET /v1/admin/users/{id}")],
    security,
    request: { params: UserId },
    responses: { 200: ok(AdminUserSchema, "The user"), ...ERRORS },
  });
  const grant = action(
    "POST /v1/admin/users/{id}/roles/grant",
    "/admin/users/{id}/roles/grant",
    "Grant a role",
    RoleBody,
  );
  const revoke = action(
    "POST /v1/admin/users/{id}/roles/revoke",
    "/admin/users/{id}/roles/revoke",
    "Revoke a role",
    RoleBody,
  );
  const disable = action(
    "POST /v1/admin/users/{id}/disable",
    "/admin/users/{id}/disable",
    "Disable the account: every session and API key revoked at once",
  );
  const enable = action(
    "POST /v1/admin/users/{id}/enable",
    "/admin/users/{id}/enable",
    "Enable a disabled account",
  );
  const erase = action(
    "POST /v1/admin/users/{id}/erase",
    "/admin/users/{id}/erase",
    "Erase the person: their data key is deleted, so their email, name, IPs and user agents read [erased] everywhere, log and exports included; the account is closed",
  );
  const unlock = action(
    "POST /v1/admin/users/{id}/unlock",
    "/admin/users/{id}/unlock",
    "Lift a login lockout",
  );
  const sessions = action(
    "POST /v1/admin/users/{id}/sessions/revoke",
    "/admin/users/{id}/sessions/revoke",
    "Revoke every session of the user",
  );
  const reset = createRoute({
    method: "post",
    path: "/admin/users/{id}/password-reset",
    tags: ["admin"],
    summary: "Require a password reset: a reset link is emailed to the user (not shown to the admin)",
    middleware: [...base, guard("POST /v1/admin/users/{id}/password-reset")],
    security,
    request: body(ReasonBody),
    responses: { 202: ok(z.object({ expiresAt: z.string() }), "The reset email is on its way"), ...ERRORS },
  });

  const meta = (c: Parameters<typeof eventMetadata>[0], reason: string) => eventMetadata(c, { reason });
  const detail = async (userId: string) => userDetail(deps.db, userId, deps.clock.now());

  return createRouter()
    .openapi(list, async (c) => c.json(await searchUsers(deps.db, c.req.valid("query")), 200))
    .openapi(view, async (c) => c.json(await detail(c.req.valid("param").id), 200))
    .openapi(grant, async (c) => {
      const { role, reason } = c.req.valid("json") as z.infer<typeof RoleBody>;
      const id = c.req.valid("param").id;
      const { changed } = await grantRole(deps, id, role, reason, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(revoke, async (c) => {
      const { role, reason } = c.req.valid("json") as z.infer<typeof RoleBody>;
      const id = c.req.valid("param").id;
      const { changed } = await revokeRole(deps, id, role, reason, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(disable, async (c) => {
      const { reason } = c.req.valid("json") as z.infer<typeof ReasonBody>;
      const id = c.req.valid("param").id;
      const { changed } = await disableUser(deps, id, reason, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(enable, async (c) => {
      const { reason } = c.req.valid("json") as z.infer<typeof ReasonBody>;
      const id = c.req.valid("param").id;
      const { changed } = await enableUser(deps, id, reason, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(erase, async (c) => {
      const { reason } = c.req.valid("json") as z.infer<typeof ReasonBody>;
      const id = c.req.valid("param").id;
      const { changed } = await eraseUser(deps, id, reason, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(unlock, async (c) => {
      const { reason } = c.req.valid("json") as z.infer<typeof ReasonBody>;
      const id = c.req.valid("param").id;
      const { changed } = await unlockUser(deps, id, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(sessions, async (c) => {
      const { reason } = c.req.valid("json") as z.infer<typeof ReasonBody>;
      const id = c.req.valid("param").id;
      const { changed } = await revokeUserSessions(deps, id, meta(c, reason));
      return c.json({ ...(await detail(id)), changed }, 200);
    })
    .openapi(reset, async (c) => {
      const { reason } = c.req.valid("json");
      const id = c.req.valid("param").id;
      const { expiresAt } = await issuePasswordReset(deps, id, meta(c, reason), { reason });
      return c.json({ expiresAt: expiresAt.toISOString() }, 202);
    });
}
