/** Custody, governance and the ledger: read-only summaries, plus the ledger's export button with progress. */
import type { StoredCheckpoint } from "../../audit/ledger.ts";
import type { View } from "../view.ts";
import { ActionForm, Layout, when } from "./layout.tsx";

export interface VaultRow {
  id: string;
  name: string;
  threshold: number;
  participants: number;
  status: string;
  guardians: number;
  keyStatus: string;
}
export interface RoundRow {
  id: string;
  vaultId: string;
  status: string;
  round: number;
  proposedAt: string;
}

export function CustodyPage(props: { view: View; vaults: VaultRow[]; rounds: RoundRow[] }) {
  return (
    <Layout view={props.view} title="Custody">
      <h2>Vaults</h2>
      {props.vaults.length === 0 ? (
        <p>No vault yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Vault</th>
                <th scope="col">Threshold</th>
                <th scope="col">Guardians</th>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {props.vaults.map((v) => (
                <tr>
                  <td>
                    {v.name}
                    <br />
                    <span class="mono muted">{v.id}</span>
                  </td>
                  <td>
                    {v.threshold} of {v.participants}
                  </td>
                  <td>{v.guardians}</td>
                  <td>{v.keyStatus}</td>
                  <td>{v.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Signing rounds</h2>
      {props.rounds.length === 0 ? (
        <p>No signing round yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Transaction</th>
                <th scope="col">Status</th>
                <th scope="col">Round</th>
                <th scope="col">Proposed</th>
              </tr>
            </thead>
            <tbody>
              {props.rounds.map((r) => (
                <tr>
                  <td class="mono">{r.id}</td>
                  <td>{r.status}</td>
                  <td>{r.round}</td>
                  <td>{when(r.proposedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">Read-only: vaults are run through the custody API and its WebSocket.</p>
    </Layout>
  );
}

export interface ProposalRow {
  id: string;
  title: string;
  state: string;
  kind: string;
  votingEndsAt: string;
  votes: number;
  tally: string;
}

export function GovernancePage(props: { view: View; proposals: ProposalRow[] }) {
  return (
    <Layout view={props.view} title="Governance">
      {props.proposals.length === 0 ? (
        <p>No proposal yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Proposal</th>
                <th scope="col">State</th>
                <th scope="col">Votes</th>
                <th scope="col" class="hide-narrow">
                  Tally (power)
                </th>
                <th scope="col" class="hide-narrow">
                  Voting ends
                </th>
              </tr>
            </thead>
            <tbody>
              {props.proposals.map((p) => (
                <tr>
                  <td>
                    {p.title}
                    <br />
                    <span class="muted">{p.kind}</span>
                  </td>
                  <td>{p.state}</td>
                  <td>{p.votes}</td>
                  <td class="hide-narrow">{p.tally}</td>
                  <td class="hide-narrow">{when(p.votingEndsAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">Read-only: proposals and votes are made through the governance API.</p>
    </Layout>
  );
}

export interface ExportRow {
  id: string;
  status: string;
  progress: { done: number; total: number; percent: number };
  from: number;
  to: number;
  requestedAt: string;
  error: string | null;
}

export function LedgerPage(props: {
  view: View;
  checkpoint: StoredCheckpoint | undefined;
  lag: { events: number; oldest: string | null };
  exports: ExportRow[];
  canExport: boolean;
}) {
  const { checkpoint: cp, lag, view } = props;
  const running = props.exports.some((x) => x.status === "queued" || x.status === "running");
  return (
    <Layout view={view} title="Ledger" scripts={running ? ["console.js", "refresh.js"] : undefined}>
      <h2>Latest signed checkpoint</h2>
      {cp ? (
        <dl class="facts">
          <dt>Tree size</dt>
          <dd data-tree-size>{cp.treeSize}</dd>
          <dt>Root hash</dt>
          <dd class="mono">{cp.rootHash}</dd>
          <dt>Signed</dt>
          <dd>{when(cp.signedAt)}</dd>
          <dt>Key</dt>
          <dd class="mono">{cp.keyId}</dd>
        </dl>
      ) : (
        <p>No checkpoint yet: the sequencer signs one once the log has events.</p>
      )}
      <h2>Sequencer lag</h2>
      <p data-lag>
        {lag.events === 0
          ? "Up to date: every committed event is in the ledger."
          : `${lag.events} event(s) not in the ledger yet; the oldest was recorded `}
        {lag.events === 0 ? null : when(lag.oldest)}
      </p>
      <h2>Compliance exports</h2>
      {props.canExport && cp ? (
        <ActionForm
          view={view}
          id="export"
          action="/console/ledger/exports"
          label="Export the whole ledger"
          reason="none"
        >
          <span class="field">
            <label for="export-format">Format</label>
            <select id="export-format" name="format">
              <option value="ndjson">NDJSON</option>
              <option value="csv">CSV</option>
            </select>
          </span>
        </ActionForm>
      ) : null}
      {props.exports.length === 0 ? (
        <p>No export yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Requested</th>
                <th scope="col">Range</th>
                <th scope="col">Progress</th>
                <th scope="col">Bundle</th>
              </tr>
            </thead>
            <tbody>
              {props.exports.map((x) => (
                <tr data-export={x.id}>
                  <td>{when(x.requestedAt)}</td>
                  <td>
                    [{x.from}, {x.to})
                  </td>
                  <td>
                    <label for={`p-${x.id}`}>
                      {x.status} {x.progress.percent}%
                    </label>
                    <progress id={`p-${x.id}`} max={x.progress.total || 1} value={x.progress.done} />
                    {x.error ? <span class="error">{x.error}</span> : null}
                  </td>
                  <td>
                    {x.status === "completed" && props.canExport ? (
                      <a href={`/console/ledger/exports/${x.id}/bundle`} download>
                        Download
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
