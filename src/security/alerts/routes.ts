/**
 * GET /v1/security/alerts, GET /v1/security/alerts/{id},
 * POST /v1/security/alerts/{id}/acknowledge, POST /v1/security/alerts/{id}/resolve.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Sql } from "../../../db/client.ts";
import { ALERT_SEVERITIES } from "../../../events/catalog/security.ts";
import { handle } from "../../../events/handle.ts";
import type { NewEvent } from "../../../events/types.ts";
import type { AppDeps } from "../../app.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { reasonText } from "../../http/text.ts";
import { AUTH_PROBLEMS, decodeCursor, encodeCursor, guards, json, limitParam, toIso } from "../http.ts";
import {
  type AlertState,
  alertEvolver,
  alertStream,
  decideAcknowledge,
  decideResolve,
  type Transition,
} from "./alert.ts";

const STATUSES = ["open", "acknowledged", "resolved"] as const;

const AlertSchema = z
  .object({
    id: z.string(),
    rule: z.string().openapi({ example: "credential_stuffing" }),
    severity: z.enum(ALERT_SEVERITIES),
    subject: z.string().openapi({ example: "ip:5d41402abc4b2a76b9719d911017c592" }),
    summary: z.string(),
    status: z.enum(STATUSES),
    eventIds: z.array(z.string()),
    raisedAt: z.string(),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedNote: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolvedNote: z.string().nullable(),
  })
  .openapi("Alert");

/** No-op rule: the alert after an action, and whether the action changed it. */
const AlertActionSchema = AlertSchema.extend({
  changed: z.boolean().openapi({ description: "false: the alert already was in that state" }),
}).openapi("AlertAction");

interface AlertRow {
  alert_id: string;
  rule: string;
  severity: (typeof ALERT_SEVERITIES)[number];
  subject: string;
  summary: string;
  status: (typeof STATUSES)[number];
  event_ids: string[] | string;
  raised_at: Date | string;
  acknowledged_by: string | null;
  acknowledged_at: Date | string | null;
  acknowledged_note: string | null;
  resolved_by: string | null;
  resolved_at: Date | string | null;
  resolved_note: string | null;
}

const toAlert = (r: AlertRow) => ({
  id: r.alert_id,
  rule: r.rule,
  severity: r.severity,
  subject: r.subject,
  summary: r.summary,
  status: r.status,
  eventIds: typeof r.event_ids === "string" ? (JSON.parse(r.event_ids) as string[]) : r.event_ids,
  raisedAt: toIso(r.raised_at)!,
  acknowledgedBy: r.acknowledged_by,
  acknowledgedAt: toIso(r.acknowledged_at),
  acknowledgedNote: r.acknowledged_note,
  resolvedBy: r.resolved_by,
  resolvedAt: toIso(r.resolved_at),
  resolvedNote: r.resolved_note,
});

export async function alertById(sql: Sql, id: string) {
  const rows = await sql.query<AlertRow>("SELECT * FROM alerts WHERE alert_id = $1", [id]);
  return rows[0] ? toAlert(rows[0]) : null;
}

const csv = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      const list = s ? s.split(",").map((v) => v.trim()) : [];
      for (const v of list) {
        if (!values.includes(v as T)) {
          ctx.addIssue({ code: "custom", message: `must be one or more of ${values.join(", ")}` });
          return z.NEVER;
        }
      }
      return list as T[];
    })
    .openapi({ type: "string", description: `Comma-separated: ${values.join(", ")}` });

const idParam = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .openapi({ example: "5d41402abc4b2a76b9719d911017c592" }),
});
const noteBody = {
  required: false,
  content: {
    "application/json": { schema: z.object({ note: reasonText({ max: 1000 }).optional() }) },
  },
};

export function alertsRouter(deps: AppDeps) {
  const secured = guards(deps);
  const listRoute = createRoute({
    method: "get",
    path: "/security/alerts",
    tags: ["security"],
    summary: "Threat alerts, newest first",
    ...secured("GET /v1/security/alerts"),
    request: {
      query: z.object({
        status: csv(STATUSES),
        severity: csv(ALERT_SEVERITIES),
        limit: limitParam(200, 50),
        cursor: z.string().max(200).optional(),
      }),
    },
    responses: {
      200: json(
        z.object({ alerts: z.array(AlertSchema), nextCursor: z.string().nullable() }),
        "A page of alerts",
      ),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
    },
  });
  const getRoute = createRoute({
    method: "get",
    path: "/security/alerts/{id}",
    tags: ["security"],
    summary: "One alert",
    ...secured("GET /v1/security/alerts/{id}"),
    request: { params: idParam },
    responses: { 200: json(AlertSchema, "The alert"), ...AUTH_PROBLEMS, 404: problemContent("`not_found`") },
  });
  const transition = (verb: "acknowledge" | "resolve", summary: string) =>
    createRoute({
      method: "post",
      path: `/security/alerts/{id}/${verb}`,
      tags: ["security"],
      summary,
      ...secured(`POST /v1/security/alerts/{id}/${verb}`),
      request: { params: idParam, body: noteBody },
      responses: {
        200: json(
          AlertActionSchema,
          "The alert after the transition; `changed: false` when it already was in that state (nothing appended)",
        ),
        ...AUTH_PROBLEMS,
        404: problemContent("`not_found`"),
        409: problemContent("`conflict`: a resolved alert cannot be acknowledged"),
      },
    });

  async function move(
    c: Parameters<Parameters<ReturnType<typeof createRouter>["openapi"]>[1]>[0],
    id: string,
    note: string | undefined,
    decide: (s: AlertState, t: Transition) => NewEvent[],
  ) {
    const { appended } = await handle(
      deps.store,
      alertStream(id),
      alertEvolver,
      (s) => decide(s, { alertId: id, note: note ?? null }),
      eventMetadata(c),
    );
    const alert = await alertById(deps.db, id);
    if (!alert) throw new AppError("not_found", "No such alert");
    return { ...alert, changed: appended !== null };
  }

  return createRouter()
    .openapi(listRoute, async (c) => {
      const q = c.req.valid("query");
      const params: unknown[] = [q.limit + 1];
      const where: string[] = [];
      if (q.status.length) {
        params.push(q.status.join(","));
        where.push(`status = ANY(string_to_array($${params.length}::text, ','))`);
      }
      if (q.severity.length) {
        params.push(q.severity.join(","));
        where.push(`severity = ANY(string_to_array($${params.length}::text, ','))`);
      }
      if (q.cursor) {
        const [at, id] = decodeCursor(
          q.cursor,
          2,
          ([t, i]) => !Number.isNaN(Date.parse(t!)) && /^[0-9a-f]{32}$/.test(i!),
        );
        params.push(at, id);
        where.push(`(raised_at, alert_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
      }
      const rows = await deps.db.query<AlertRow>(
        `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY raised_at DESC, alert_id DESC LIMIT $1`,
        params,
      );
      const page = rows.slice(0, q.limit).map(toAlert);
      const last = page.at(-1);
      const nextCursor = rows.length > q.limit && last ? encodeCursor([last.raisedAt, last.id]) : null;
      return c.json({ alerts: page, nextCursor }, 200);
    })
    .openapi(getRoute, async (c) => {
      const alert = await alertById(deps.db, c.req.valid("param").id);
      if (!alert) throw new AppError("not_found", "No such alert");
      return c.json(alert, 200);
    })
    .openapi(transition("acknowledge", "Acknowledge an open alert"), async (c) =>
      c.json(await move(c, c.req.valid("param").id, c.req.valid("json").note, decideAcknowledge), 200),
    )
    .openapi(transition("resolve", "Resolve an open or acknowledged alert"), async (c) =>
      c.json(await move(c, c.req.valid("param").id, c.req.valid("json").note, decideResolve), 200),
    );
}
