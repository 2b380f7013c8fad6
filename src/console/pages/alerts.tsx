/** Alerts: filter by status; acknowledge and resolve, each with a reason. */
import type { View } from "../view.ts";
import { ActionForm, Layout, when } from "./layout.tsx";

export interface AlertRow {
  id: string;
  rule: string;
  severity: string;
  subject: string;
  summary: string;
  status: string;
  raisedAt: string;
  acknowledgedBy: string | null;
  resolvedBy: string | null;
}

const STATUSES = ["open", "acknowledged", "resolved", "all"] as const;

export function AlertsPage(props: { view: View; alerts: AlertRow[]; status: string }) {
  const { view } = props;
  return (
    <Layout view={view} title="Alerts">
      <form method="get" action="/console/alerts" class="filters">
        <span class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            {STATUSES.map((s) => (
              <option value={s} selected={s === props.status}>
                {s}
              </option>
            ))}
          </select>
        </span>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {props.alerts.length === 0 ? (
        <p>No alerts.</p>
      ) : (
        <div class="table-wrap">
          <table class="rows">
            <caption class="muted">Newest first, at most 100</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Alert</th>
                <th scope="col" class="hide-narrow">
                  Raised
                </th>
                <th scope="col">Status</th>
                {view.canManageSecurity ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.alerts.map((a) => (
                <tr data-alert={a.id} data-rule={a.rule}>
                  <td>
                    <span class={`badge sev-${a.severity}`}>{a.severity}</span>
                  </td>
                  <td>
                    <strong>{a.rule}</strong>
                    <br />
                    {a.summary}
                    <br />
                    <span class="mono muted">{a.subject}</span>
                  </td>
                  <td class="hide-narrow">{when(a.raisedAt)}</td>
                  <td data-status>{a.status}</td>
                  {view.canManageSecurity ? (
                    <td class="actions">
                      {a.status === "open" ? (
                        <ActionForm
                          view={view}
                          id={`ack-${a.id}`}
                          action={`/console/alerts/${a.id}/acknowledge`}
                          label="Acknowledge"
                        />
                      ) : null}
                      {a.status !== "resolved" ? (
                        <ActionForm
                          view={view}
                          id={`res-${a.id}`}
                          action={`/console/alerts/${a.id}/resolve`}
                          label="Resolve"
                        />
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
