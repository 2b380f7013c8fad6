/**
 * Security counters, for GET /v1/security/metrics and the same figures as
 * Prometheus gauges on /metrics (read from the database, so every process
 * reports the shared truth, not its own share; at most once per
 * METRICS_CACHE_SECONDS, however often /metrics is scraped).
 *
 * Event counts come from `event_stats` (async projection: events per type and
 * clock hour), so they lag the log by a poll and have hour granularity: the
 * `hour` window is the previous clock hour plus the current one, `day` the
 * last 24 clock hours plus the current one; each reports its `since`.
 * Current state (open alerts, sessions, bans, locks) comes from the inline
 * projections and is exact.
 */
import { Gauge } from "prom-client";
import type { Db } from "../../../db/client.ts";
import { ALERT_SEVERITIES, type AlertSeverity } from "../../../events/catalog/security.ts";
import type { Metrics } from "../../observability/metrics.ts";

const COUNTED = {
  loginsSucceeded: "LoginSucceeded",
  loginsFailed: "LoginFailed",
  lockouts: "AccountLocked",
  rateLimited: "RateLimitExceeded",
  bans: "IpBanned",
  alertsRaised: "AlertRaised",
} as const;

type CountName = keyof typeof COUNTED | "eventsAppended";
export type WindowCounts = Record<CountName, number> & { since: string };

export interface SecuritySummary {
  at: string;
  hour: WindowCounts;
  day: WindowCounts;
  openAlerts: Record<AlertSeverity, number>;
  acknowledgedAlerts: number;
  activeSessions: number;
  activeBans: number;
  lockedAccounts: number;
}

const HOUR = 3_600_000;
const floorHour = (t: number) => new Date(Math.floor(t / HOUR) * HOUR);

function emptyCounts(since: Date): WindowCounts {
  const counts = { since: since.toISOString(), eventsAppended: 0 } as WindowCounts;
  for (const k of Object.keys(COUNTED) as (keyof typeof COUNTED)[]) counts[k] = 0;
  return counts;
}

export async function securitySummary(db: Db, now: Date): Promise<SecuritySummary> {
  const hourSince = floorHour(now.getTime() - HOUR);
  const daySince = floorHour(now.getTime() - 24 * HOUR);
  const iso = now.toISOString();
  const [stats, alerts, state] = await Promise.all([
    db.query<{ type: string; hour: number | string; day: number | string }>(
      `SELECT type, coalesce(sum(count) FILTER (WHERE hour >= $1), 0) AS hour, sum(count) AS day
       FROM event_stats WHERE hour >= $2 GROUP BY type`,
      [hourSince.toISOString(), daySince.toISOString()],
    ),
    db.query<{ severity: AlertSeverity; status: string; n: number | string }>(
      "SELECT severity, status, count(*) AS n FROM alerts WHERE status <> 'resolved' GROUP BY severity, status",
    ),
    db.query<{ sessions: number | string; bans: number | string; locked: number | string }>(
      `SELECT (SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1) AS sessions,
              (SELECT count(*) FROM ip_bans WHERE lifted_at IS NULL AND until > $1) AS bans,
              (SELECT count(*) FROM users WHERE locked_until > $1) AS locked`,
      [iso],
    ),
  ]);
  const hour = emptyCounts(hourSince);
  const day = emptyCounts(daySince);
  const byType = new Map(Object.entries(COUNTED).map(([k, t]) => [t as string, k as keyof typeof COUNTED]));
  for (const r of stats) {
    hour.eventsAppended += Number(r.hour);
    day.eventsAppended += Number(r.day);
    const name = byType.get(r.type);
    if (name) {
      hour[name] = Number(r.hour);
      day[name] = Number(r.day);
    }
  }
  const openAlerts = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
  let acknowledgedAlerts = 0;
  for (const r of alerts) {
    if (r.status === "open") openAlerts[r.severity] = Number(r.n);
    else acknowledgedAlerts += Number(r.n);
  }
  const s = state[0];
  return {
    at: iso,
    hour,
    day,
    openAlerts,
    acknowledgedAlerts,
    activeSessions: Number(s?.sessions ?? 0),
    activeBans: Number(s?.bans ?? 0),
    lockedAccounts: Number(s?.locked ?? 0),
  };
}

const registered = new WeakSet<Metrics>();

/**
 * A summary read at most once per `intervalMs`: scrapes in between get the
 * last one, concurrent scrapes share the read in flight, and a failed read
 * keeps the last values (logged) until the next interval, so neither a scrape
 * flood nor a database outage turns into a query per scrape.
 */
export function cachedSummary(
  source: () => Promise<SecuritySummary>,
  onError: (err: unknown) => void,
  opts: { intervalMs: number; clock?: () => number },
): () => Promise<SecuritySummary | null> {
  const clock = opts.clock ?? (() => performance.now());
  let last: SecuritySummary | null = null;
  let nextAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<SecuritySummary | null> | undefined;
  return () => {
    if (clock() < nextAt) return Promise.resolve(last);
    pending ??= source()
      .then(
        (s) => {
          last = s;
          return s;
        },
        (err: unknown) => {
          onError(err);
          return last;
        },
      )
      .finally(() => {
        nextAt = clock() + opts.intervalMs;
        pending = undefined;
      });
    return pending;
  };
}

/**
 * Registers the gauges once per Metrics registry. They share one summary,
 * read from the database at most once per `intervalMs` (METRICS_CACHE_SECONDS).
 */
export function registerSecurityGauges(
  metrics: Metrics,
  source: () => Promise<SecuritySummary>,
  onError: (err: unknown) => void,
  opts: { intervalMs: number; clock?: () => number } = { intervalMs: 5000 },
): void {
  if (registered.has(metrics)) return;
  registered.add(metrics);
  const summary = cachedSummary(source, onError, opts);
  const registers = [metrics.registry];
  new Gauge({
    name: "vigil_security_events",
    help: "Security events in the window (hour: previous and current clock hour; day: last 24 clock hours and the current one)",
    labelNames: ["window", "kind"],
    registers,
    async collect() {
      const s = await summary();
      if (!s) return;
      for (const window of ["hour", "day"] as const) {
        for (const [kind, n] of Object.entries(s[window])) {
          if (kind !== "since") this.set({ window, kind: snake(kind) }, n as number);
        }
      }
    },
  });
  new Gauge({
    name: "vigil_security_open_alerts",
    help: "Alerts not yet acknowledged or resolved, by severity",
    labelNames: ["severity"],
    registers,
    async collect() {
      const s = await summary();
      if (s) for (const [severity, n] of Object.entries(s.openAlerts)) this.set({ severity }, n);
    },
  });
  const state = (name: string, help: string, pick: (s: SecuritySummary) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const s = await summary();
        if (s) this.set(pick(s));
      },
    });
  state(
    "vigil_security_acknowledged_alerts",
    "Alerts acknowledged and not yet resolved",
    (s) => s.acknowledgedAlerts,
  );
  state("vigil_security_active_sessions", "Sessions neither revoked nor expired", (s) => s.activeSessions);
  state("vigil_security_active_bans", "Addresses currently banned", (s) => s.activeBans);
  state("vigil_security_locked_accounts", "Accounts currently locked", (s) => s.lockedAccounts);
}

const snake = (s: string) => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
