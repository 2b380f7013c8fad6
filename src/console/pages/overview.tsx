/** Overview: logins, failures, lockouts and rate-limit refusals (hour by minute, day by hour), alerts, sessions. */
import type { SecuritySummary } from "../../security/monitoring/metrics.ts";
import type { Series, SeriesName } from "../queries.ts";
import type { View } from "../view.ts";
import { BarChart } from "./charts.tsx";
import { Layout } from "./layout.tsx";

const CARDS: { name: SeriesName; label: string; cls: string }[] = [
  { name: "succeeded", label: "Successful logins", cls: "s-ok" },
  { name: "failed", label: "Failed logins", cls: "s-fail" },
  { name: "lockouts", label: "Lockouts", cls: "s-lock" },
  { name: "rateLimited", label: "Rate-limit refusals", cls: "s-rate" },
];

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

export function OverviewPage(props: { view: View; hour: Series; day: Series; summary: SecuritySummary }) {
  const { hour, day, summary } = props;
  return (
    <Layout view={props.view} title="Overview">
      <section aria-labelledby="activity">
        <h2 id="activity">Sign-in activity</h2>
        <div class="cards">
          {CARDS.map((c) => (
            <article class="card" aria-labelledby={`card-${c.name}`} data-series={c.name}>
              <h3 id={`card-${c.name}`}>{c.label}</h3>
              <p class="figure" data-window="hour">
                {sum(hour[c.name])}
                <span class="muted"> last hour</span>
              </p>
              <BarChart
                values={hour[c.name]}
                label={`${c.label}, last hour by minute`}
                cls={c.cls}
                id={`h-${c.name}`}
              />
              <p class="muted" data-window="day">
                {sum(day[c.name])} in the last 24 hours (by hour)
              </p>
              <BarChart
                values={day[c.name]}
                label={`${c.label}, last 24 hours by hour`}
                cls={c.cls}
                id={`d-${c.name}`}
              />
            </article>
          ))}
        </div>
      </section>
      <section aria-labelledby="state">
        <h2 id="state">Right now</h2>
        <div class="cards">
          <article class="card" aria-labelledby="open-alerts">
            <h3 id="open-alerts">Open alerts by severity</h3>
            <ul>
              {Object.entries(summary.openAlerts).map(([sev, n]) => (
                <li>
                  <span class={`badge sev-${sev}`}>{sev}</span> <span data-severity={sev}>{n}</span>
                </li>
              ))}
            </ul>
            <p class="muted">{summary.acknowledgedAlerts} acknowledged, not yet resolved</p>
            <a href="/console/alerts">Alerts</a>
          </article>
          <article class="card">
            <h3>Active sessions</h3>
            <p class="figure" data-figure="sessions">
              {summary.activeSessions}
            </p>
          </article>
          <article class="card">
            <h3>Locked accounts</h3>
            <p class="figure" data-figure="locked">
              {summary.lockedAccounts}
            </p>
          </article>
          <article class="card">
            <h3>Banned addresses</h3>
            <p class="figure" data-figure="bans">
              {summary.activeBans}
            </p>
            <a href="/console/bans">IP bans</a>
          </article>
        </div>
        <p class="muted">
          The last hour is counted from the log; the last 24 hours from hourly statistics, which trail the log
          by a few seconds.
        </p>
      </section>
    </Layout>
  );
}
