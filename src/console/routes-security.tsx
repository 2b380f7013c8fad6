/**
 * Overview, alerts and bans. Acknowledge, resolve and lift run the same
 * deciders through the same `handle` as POST /v1/security/alerts/{id}/… and
 * DELETE /v1/admin/bans/{ip}, under the same permission (the route table's),
 * so they leave the same events; the console only adds that a reason is required.
 */
import { handle } from "../../events/handle.ts";
import type { NewEvent } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import {
  type AlertState,
  alertEvolver,
  alertStream,
  decideAcknowledge,
  decideResolve,
  type Transition,
} from "../security/alerts/alert.ts";
import { banEvolver, banKey, banStream, decideLift } from "../security/bans/ban.ts";
import { banListFor } from "../security/bans/check.ts";
import { securitySummary } from "../security/monitoring/metrics.ts";
import {
  type ConsoleContext,
  consoleRouter,
  form,
  metaOf,
  reasonOf,
  redirectWith,
  sameAs,
  viewOf,
} from "./kit.ts";
import { type AlertRow, AlertsPage } from "./pages/alerts.tsx";
import { type BanRow, BansPage } from "./pages/bans.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { lastDay, lastHour } from "./queries.ts";

const ALERT_ID = /^[0-9a-f]{32}$/;
const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

export function securityRoutes(deps: AuthDeps) {
  const alertAction =
    (decide: (s: AlertState, t: Transition) => NewEvent[], done: "acknowledged" | "resolved") =>
    async (c: ConsoleContext) => {
      const id = c.req.param("id") ?? "";
      if (!ALERT_ID.test(id)) throw new AppError("not_found", "No such alert");
      const reason = reasonOf(await form(c));
      const [exists] = await deps.db.query("SELECT 1 FROM alerts WHERE alert_id = $1", [id]);
      if (!exists) throw new AppError("not_found", "No such alert");
      const { appended } = await handle(
        deps.store,
        alertStream(id),
        alertEvolver,
        (s) => decide(s, { alertId: id, note: reason ?? null }),
        metaOf(c),
      );
      return redirectWith(c, "/console/alerts", appended ? done : "unchanged");
    };

  return consoleRouter()
    .get("/", async (c) => {
      const now = deps.clock.now();
      const [hour, day, summary] = await Promise.all([
        lastHour(deps.db, now),
        lastDay(deps.db, now),
        securitySummary(deps.db, now),
      ]);
      return c.html(<OverviewPage view={viewOf(c)} hour={hour} day={day} summary={summary} />);
    })
    .get("/alerts", async (c) => {
      const q = c.req.query("status");
      const status = q === "acknowledged" || q === "resolved" || q === "all" ? q : "open";
      const rows = await deps.db.query<Record<string, string | Date | null>>(
        `SELECT alert_id, rule, severity, subject, summary, status, raised_at, acknowledged_by, resolved_by
         FROM alerts WHERE $1 = 'all' OR status = $1 ORDER BY raised_at DESC, alert_id DESC LIMIT 100`,
        [status],
      );
      const alerts: AlertRow[] = rows.map((r) => ({
        id: String(r.alert_id),
        rule: String(r.rule),
        severity: String(r.severity),
        subject: String(r.subject),
        summary: String(r.summary),
        status: String(r.status),
        raisedAt: iso(r.raised_at as Date)!,
        acknowledgedBy: r.acknowledged_by as string | null,
        resolvedBy: r.resolved_by as string | null,
      }));
      return c.html(<AlertsPage view={viewOf(c)} alerts={alerts} status={status} />);
    })
    .post(
      "/alerts/:id/acknowledge",
      sameAs("POST /v1/security/alerts/{id}/acknowledge"),
      alertAction(decideAcknowledge, "acknowledged"),
    )
    .post(
      "/alerts/:id/resolve",
      sameAs("POST /v1/security/alerts/{id}/resolve"),
      alertAction(decideResolve, "resolved"),
    )
    .get("/bans", async (c) => {
      const now = deps.clock.now().toISOString();
      const rows = await deps.db.query<{
        ip: string;
        until: Date | string;
        reason: string;
        failures: number;
        banned_at: Date | string;
      }>(
        `SELECT ip, until, reason, failures, banned_at FROM ip_bans
         WHERE lifted_at IS NULL AND until > $1 ORDER BY banned_at DESC, ip LIMIT 200`,
        [now],
      );
      const bans: BanRow[] = rows.map((r) => ({
        ip: r.ip,
        until: iso(r.until)!,
        reason: r.reason,
        failures: Number(r.failures),
        bannedAt: iso(r.banned_at)!,
      }));
      return c.html(<BansPage view={viewOf(c)} bans={bans} />);
    })
    .post("/bans/lift", sameAs("DELETE /v1/admin/bans/{ip}"), async (c) => {
      const f = await form(c);
      const ip = banKey(f.ip ?? "");
      if (!ip) throw new AppError("validation_failed", "Not an IPv4 address, an IPv6 address or an IPv6 /64");
      const reason = reasonOf(f)!;
      const { appended } = await handle(
        deps.store,
        await banStream(ip),
        banEvolver,
        (s) => decideLift(s, { ip, reason, now: deps.clock.now() }),
        metaOf(c, reason),
      );
      if (appended) banListFor(deps).invalidate();
      return redirectWith(c, "/console/bans", appended ? "lifted" : "unchanged");
    });
}
