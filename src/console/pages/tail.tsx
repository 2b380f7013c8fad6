/** The live tail: filters (a GET form that works without script), the newest events, then new ones over SSE. */
import type { TailFilter, TailRow } from "../tail.ts";
import type { View } from "../view.ts";
import { Layout, when } from "./layout.tsx";

export function TailRows(props: { rows: TailRow[] }) {
  return (
    <>
      {props.rows.map((r) => (
        <tr data-event={r.eventId}>
          <td>{when(r.recordedAt)}</td>
          <td>{r.type}</td>
          <td class="mono">{r.actor}</td>
          <td class="mono">{r.ip ?? "—"}</td>
          <td class="mono hide-narrow">{r.data}</td>
        </tr>
      ))}
    </>
  );
}

export function TailPage(props: { view: View; filter: TailFilter; rows: TailRow[]; stream: string }) {
  const f = props.filter;
  return (
    <Layout view={props.view} title="Live tail" scripts={["console.js", "tail.js"]}>
      <form method="get" action="/console/tail" class="filters">
        <span class="field">
          <label for="f-type">Event types (comma-separated)</label>
          <input
            id="f-type"
            name="type"
            value={f.types.join(",")}
            placeholder="e.g. LoginFailed,AccountLocked"
          />
        </span>
        <span class="field">
          <label for="f-actor">Actor</label>
          <input id="f-actor" name="actor" value={f.actor} placeholder="e.g. anonymous" />
        </span>
        <span class="field">
          <label for="f-ip">IP address</label>
          <input id="f-ip" name="ip" value={f.ip} placeholder="e.g. 203.0.113.9" />
        </span>
        <button type="submit">Apply</button>
      </form>
      <p id="tail-status" class="muted" role="status" aria-live="polite" data-stream={props.stream}>
        Showing the newest events. Live updates need JavaScript.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Recorded</th>
              <th scope="col">Type</th>
              <th scope="col">Actor</th>
              <th scope="col">IP</th>
              <th scope="col" class="hide-narrow">
                Data
              </th>
            </tr>
          </thead>
          <tbody id="tail-rows">
            <TailRows rows={props.rows} />
          </tbody>
        </table>
      </div>
    </Layout>
  );
}
