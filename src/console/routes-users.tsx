/**
 * Users: search, one user, and the admin actions. Each action is the admin
 * command POST /v1/admin/users/{id}/… runs (src/admin/commands.ts), under that
 * route's permission, with the reason in the event data and metadata as there.
 */
import { ROLES, type Role } from "../access/permissions.ts";
import {
  disableUser,
  enableUser,
  grantRole,
  revokeRole,
  revokeUserSessions,
  unlockUser,
} from "../admin/commands.ts";
import { searchUsers, userDetail } from "../admin/queries.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import {
  type ConsoleContext,
  consoleRouter,
  form,
  metaOf,
  type Notice,
  reasonOf,
  redirectWith,
  sameAs,
  viewOf,
} from "./kit.ts";
import { UserPage, UsersPage } from "./pages/users.tsx";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function userId(c: ConsoleContext): string {
  const id = c.req.param("id") ?? "";
  if (!UUID.test(id)) throw new AppError("not_found", "No such user");
  return id;
}

function roleOf(fields: Record<string, string>): Role {
  const role = fields.role as Role;
  if (!ROLES.includes(role)) throw new AppError("validation_failed", "Choose one of the roles");
  return role;
}

type Action = (
  deps: AuthDeps,
  id: string,
  f: Record<string, string>,
  c: ConsoleContext,
) => Promise<{ changed: boolean }>;

export function userRoutes(deps: AuthDeps) {
  const act = (action: Action, notice: Notice) => async (c: ConsoleContext) => {
    const id = userId(c);
    const { changed } = await action(deps, id, await form(c), c);
    return redirectWith(c, `/console/users/${id}`, changed ? notice : "unchanged");
  };
  const withReason = (f: Record<string, string>) => reasonOf(f)!;

  return consoleRouter()
    .get("/users", async (c) => {
      const q = {
        email: c.req.query("email")?.slice(0, 254) || undefined,
        role: ROLES.includes(c.req.query("role") as Role) ? c.req.query("role") : undefined,
        status: (["active", "disabled"] as const).find((s) => s === c.req.query("status")),
      };
      const { users } = await searchUsers(deps.db, { ...q, limit: 100 });
      return c.html(<UsersPage view={viewOf(c)} users={users} q={q} />);
    })
    .get("/users/:id", async (c) => {
      const user = await userDetail(deps.db, userId(c), deps.clock.now());
      return c.html(<UserPage view={viewOf(c)} user={user} />);
    })
    .post(
      "/users/:id/unlock",
      sameAs("POST /v1/admin/users/{id}/unlock"),
      act((d, id, f, c) => unlockUser(d, id, metaOf(c, withReason(f))), "unlocked"),
    )
    .post(
      "/users/:id/disable",
      sameAs("POST /v1/admin/users/{id}/disable"),
      act((d, id, f, c) => {
        const reason = withReason(f);
        return disableUser(d, id, reason, metaOf(c, reason));
      }, "disabled"),
    )
    .post(
      "/users/:id/enable",
      sameAs("POST /v1/admin/users/{id}/enable"),
      act((d, id, f, c) => {
        const reason = withReason(f);
        return enableUser(d, id, reason, metaOf(c, reason));
      }, "enabled"),
    )
    .post(
      "/users/:id/roles/grant",
      sameAs("POST /v1/admin/users/{id}/roles/grant"),
      act((d, id, f, c) => {
        const reason = withReason(f);
        return grantRole(d, id, roleOf(f), reason, metaOf(c, reason));
      }, "granted"),
    )
    .post(
      "/users/:id/roles/revoke",
      sameAs("POST /v1/admin/users/{id}/roles/revoke"),
      act((d, id, f, c) => {
        const reason = withReason(f);
        return revokeRole(d, id, roleOf(f), reason, metaOf(c, reason));
      }, "revoked"),
    )
    .post(
      "/users/:id/sessions/revoke",
      sameAs("POST /v1/admin/users/{id}/sessions/revoke"),
      act((d, id, f, c) => revokeUserSessions(d, id, metaOf(c, withReason(f))), "sessions"),
    );
}
