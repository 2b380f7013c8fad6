/**
 * POST /v1/auth/refresh, POST /v1/auth/logout, GET /v1/sessions,
 * DELETE /v1/sessions/{id}, DELETE /v1/sessions (all but the current one).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type AuthDeps, idleSecondsFor } from "../auth/deps.ts";
import { requireAuth } from "../auth/middleware.ts";
import { AppError } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { TokenPairSchema } from "../identity/schemas.ts";
import { limitAuthenticated } from "../security/ratelimit/index.ts";
import { refreshSession, revokeSessions } from "./commands.ts";
import { isIdle, lastActivity, openSessions, sessionById } from "./session.ts";

const UNAUTHORIZED = problemContent("`unauthorized`, `token_invalid`, `token_expired` or `session_revoked`");

const SessionSchema = z
  .object({
    id: z.uuid(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi("Session");

const refreshRoute = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags: ["sessions"],
  summary: "Exchange a refresh token for a new pair (the old one is spent)",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ refreshToken: z.string().min(1).max(256) }) } },
    },
  },
  responses: {
    200: { description: "A new token pair", content: { "application/json": { schema: TokenPairSchema } } },
    401: problemContent(
      "`invalid_refresh_token`, or `refresh_token_reused` (the token was already spent: its session is revoked)",
    ),
    403: problemContent("`account_disabled`"),
  },
});

export function sessionsRouter(deps: AuthDeps) {
  const auth = requireAuth(deps);
  const secured = { middleware: [auth, limitAuthenticated(deps)], security: [{ bearerAuth: [] }] };

  const logoutRoute = createRoute({
    method: "post",
    path: "/auth/logout",
    tags: ["sessions"],
    summary: "End the current session",
    ...secured,
    responses: { 204: { description: "Logged out" }, 401: UNAUTHORIZED },
  });
  const listRoute = createRoute({
    method: "get",
    path: "/sessions",
    tags: ["sessions"],
    summary: "Your active sessions",
    ...secured,
    responses: {
      200: {
        description: "Active sessions, oldest first",
        content: { "application/json": { schema: z.object({ sessions: z.array(SessionSchema) }) } },
      },
      401: UNAUTHORIZED,
    },
  });
  const revokeOneRoute = createRoute({
    method: "delete",
    path: "/sessions/{id}",
    tags: ["sessions"],
    summary: "Revoke one of your sessions",
    ...secured,
    request: { params: z.object({ id: z.uuid() }) },
    responses: {
      204: { description: "Revoked" },
      401: UNAUTHORIZED,
      404: problemContent("`not_found`: no such session of yours"),
    },
  });
  const revokeOthersRoute = createRoute({
    method: "delete",
    path: "/sessions",
    tags: ["sessions"],
    summary: "Revoke all your sessions except the current one",
    ...secured,
    responses: { 204: { description: "Revoked" }, 401: UNAUTHORIZED },
  });

  return createRouter()
    .openapi(refreshRoute, async (c) => {
      const pair = await refreshSession(deps, c.req.valid("json").refreshToken, eventMetadata(c));
      return c.json(pair, 200, { "Cache-Control": "no-store" });
    })
    .openapi(logoutRoute, async (c) => {
      const s = await sessionById(deps.db, c.get("auth").sessionId);
      if (s) await revokeSessions(deps, [s], "logout", eventMetadata(c));
      return c.body(null, 204);
    })
    .openapi(listRoute, async (c) => {
      const { userId, sessionId, roles } = c.get("auth");
      const now = deps.clock.now();
      const open = await openSessions(deps.db, userId, now);
      const seen = await deps.auth.guard.lastSeen(open.map((s) => s.sessionId)).catch(() => new Map());
      const idle = idleSecondsFor(deps, roles);
      const sessions = open
        .filter((s) => s.sessionId === sessionId || !isIdle(s, seen.get(s.sessionId), now, idle))
        .map((s) => ({
          id: s.sessionId,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: lastActivity(s, seen.get(s.sessionId)).toISOString(),
          ip: s.ip,
          userAgent: s.userAgent,
          current: s.sessionId === sessionId,
        }));
      return c.json({ sessions }, 200);
    })
    .openapi(revokeOneRoute, async (c) => {
      const { userId, sessionId } = c.get("auth");
      const s = await sessionById(deps.db, c.req.valid("param").id);
      // Someone else's session is indistinguishable from one that does not exist.
      if (!s || s.userId !== userId) throw new AppError("not_found", "No such session");
      const reason = s.sessionId === sessionId ? "logout" : "revoked_by_user";
      await revokeSessions(deps, [s], reason, eventMetadata(c));
      return c.body(null, 204);
    })
    .openapi(revokeOthersRoute, async (c) => {
      const { userId, sessionId } = c.get("auth");
      const others = (await openSessions(deps.db, userId, deps.clock.now())).filter(
        (s) => s.sessionId !== sessionId,
      );
      await revokeSessions(deps, others, "revoked_by_user", eventMetadata(c));
      return c.body(null, 204);
    });
}
