/** GET /v1/admin/bans and DELETE /v1/admin/bans/{ip}. */
import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "../../../events/handle.ts";
import type { AppDeps } from "../../app.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { reasonText } from "../../http/text.ts";
import { AUTH_PROBLEMS, guards, json, limitParam, toIso } from "../http.ts";
import { banEvolver, banKey, banStream, decideLift } from "./ban.ts";
import { banListFor } from "./check.ts";

const BanSchema = z
  .object({
    ip: z.string().openapi({ example: "203.0.113.9", description: "IPv4, or an IPv6 /64" }),
    until: z.string(),
    reason: z.string().openapi({ description: "The rule that banned it", example: "ip_ban" }),
    failures: z.number().int(),
    bannedAt: z.string(),
    active: z.boolean(),
    liftedAt: z.string().nullable(),
    liftedBy: z.string().nullable(),
    liftReason: z.string().nullable(),
  })
  .openapi("IpBan");

/** No-op rule: the address's state after the action, and whether it changed. */
const LiftSchema = z
  .object({
    ip: z.string().openapi({ description: "The address the ban is keyed by (an IPv6 /64 as its /64)" }),
    active: z.literal(false),
    changed: z.boolean(),
  })
  .openapi("IpBanLift");

interface BanRow {
  ip: string;
  until: Date | string;
  reason: string;
  failures: number;
  banned_at: Date | string;
  lifted_at: Date | string | null;
  lifted_by: string | null;
  lift_reason: string | null;
}

export function bansRouter(deps: AppDeps) {
  const secured = guards(deps);
  const listRoute = createRoute({
    method: "get",
    path: "/admin/bans",
    tags: ["security"],
    summary: "Banned addresses",
    description: "Active bans by default; `status=all` adds expired and lifted ones (newest first).",
    ...secured("GET /v1/admin/bans"),
    request: {
      query: z.object({
        status: z.enum(["active", "all"]).default("active"),
        limit: limitParam(200, 100),
      }),
    },
    responses: { 200: json(z.object({ bans: z.array(BanSchema) }), "Bans"), ...AUTH_PROBLEMS },
  });
  const liftRoute = createRoute({
    method: "delete",
    path: "/admin/bans/{ip}",
    tags: ["security"],
    summary: "Lift a ban",
    description:
      "The address URL-encoded: an IPv4 address, an IPv6 address (its /64 is lifted) or the /64 itself (`2001%3Adb8%3A%3A%2F64`). The reason comes from the body or the `reason` query parameter.",
    ...secured("DELETE /v1/admin/bans/{ip}"),
    request: {
      params: z.object({ ip: z.string().min(2).max(64).openapi({ example: "203.0.113.9" }) }),
      query: z.object({ reason: reasonText({ max: 500 }).optional() }),
      body: {
        required: false,
        content: {
          "application/json": { schema: z.object({ reason: reasonText({ max: 500 }).optional() }) },
        },
      },
    },
    responses: {
      200: json(
        LiftSchema,
        "`changed: true`: the ban was lifted (IpBanLifted recorded); `changed: false`: the address was not banned, nothing recorded",
      ),
      400: problemContent("`validation_failed`: not an address"),
      ...AUTH_PROBLEMS,
    },
  });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const { status, limit } = c.req.valid("query");
      const now = deps.clock.now().toISOString();
      const rows = await deps.db.query<BanRow>(
        `SELECT ip, until, reason, failures, banned_at, lifted_at, lifted_by, lift_reason FROM ip_bans
         WHERE $1 = 'all' OR (lifted_at IS NULL AND until > $2)
         ORDER BY banned_at DESC, ip LIMIT $3`,
        [status, now, limit],
      );
      const at = deps.clock.now().getTime();
      const bans = rows.map((r) => ({
        ip: r.ip,
        until: toIso(r.until)!,
        reason: r.reason,
        failures: Number(r.failures),
        bannedAt: toIso(r.banned_at)!,
        active: r.lifted_at === null && new Date(r.until).getTime() > at,
        liftedAt: toIso(r.lifted_at),
        liftedBy: r.lifted_by,
        liftReason: r.lift_reason,
      }));
      return c.json({ bans }, 200);
    })
    .openapi(liftRoute, async (c) => {
      const raw = c.req.valid("param").ip;
      const ip = banKey(raw);
      if (!ip) {
        throw new AppError("validation_failed", "The request has invalid fields", {
          errors: [{ path: "param.ip", message: "not an IPv4 address, an IPv6 address or an IPv6 /64" }],
        });
      }
      const reason =
        c.req.valid("json").reason ?? c.req.valid("query").reason ?? "lifted by an administrator";
      const { appended } = await handle(
        deps.store,
        banStream(ip),
        banEvolver,
        (s) => decideLift(s, { ip, reason, now: deps.clock.now() }),
        eventMetadata(c, { reason }),
      );
      if (appended) banListFor(deps).invalidate();
      return c.json({ ip, active: false as const, changed: appended !== null }, 200);
    });
}
