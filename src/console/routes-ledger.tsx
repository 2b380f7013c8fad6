/**
 * Custody, governance and ledger pages. Read-only summaries, except the
 * ledger's export: the button runs the same resolveExport/requestExport as
 * POST /v1/audit/exports (same permission, same AuditExportRequested), the
 * workers build the bundle, and the page shows its progress; the download
 * records AuditExportDownloaded as GET /v1/audit/exports/{id}/bundle does.
 */
import { hasPermission } from "../access/permissions.ts";
import { bundleDownload } from "../audit/exports/download.ts";
import { exportServices } from "../audit/exports/feature.ts";
import { requestExport, resolveExport } from "../audit/exports/request.ts";
import { exportById } from "../audit/exports/routes.ts";
import { latestCheckpoint } from "../audit/ledger.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { listVaults } from "../custody/views.ts";
import { listProposals } from "../governance/queries.ts";
import { AppError } from "../http/errors.ts";
import { type ConsoleContext, consoleRouter, form, metaOf, sameAs, viewOf } from "./kit.ts";
import { CustodyPage, type ExportRow, GovernancePage, LedgerPage, type RoundRow } from "./pages/ledger.tsx";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (v: Date | string) => new Date(v).toISOString();

function need(c: ConsoleContext, permission: Parameters<typeof hasPermission>[1]): void {
  if (!hasPermission(c.get("auth").roles, permission)) {
    throw new AppError("forbidden", `This page needs the ${permission} permission`);
  }
}

/** Events committed but not yet given a ledger position (the sequencer runs behind the log). */
async function sequencerLag(deps: AuthDeps): Promise<{ events: number; oldest: string | null }> {
  const [r] = await deps.db.query<{ n: number | string; oldest: Date | string | null }>(
    `WITH last AS (SELECT log_tx_id, log_id FROM ledger_entries ORDER BY position DESC LIMIT 1)
     SELECT count(*) AS n, min(e.recorded_at) AS oldest FROM events e
     WHERE NOT EXISTS (SELECT 1 FROM last)
        OR (e.tx_id, e.id) > ((SELECT log_tx_id FROM last), (SELECT log_id FROM last))`,
  );
  return { events: Number(r?.n ?? 0), oldest: r?.oldest ? iso(r.oldest) : null };
}

export function ledgerRoutes(deps: AuthDeps) {
  return consoleRouter()
    .get("/custody", async (c) => {
      need(c, "custody:read");
      const vaults = await listVaults(deps, c.get("auth"));
      const ids = vaults.map((v) => v.id);
      const rounds = ids.length
        ? await deps.db.query<{
            tx_id: string;
            vault_id: string;
            status: string;
            round: number;
            proposed_at: Date;
          }>(
            `SELECT tx_id, vault_id, status, round, proposed_at FROM custody_transactions
             WHERE vault_id = ANY(string_to_array($1, ',')::uuid[]) ORDER BY proposed_at DESC LIMIT 50`,
            [ids.join(",")],
          )
        : [];
      return c.html(
        <CustodyPage
          view={viewOf(c)}
          vaults={vaults.map((v) => ({
            id: v.id,
            name: v.name,
            threshold: v.threshold,
            participants: v.participants,
            status: v.status,
            guardians: v.guardians.length,
            keyStatus: v.key.status,
          }))}
          rounds={rounds.map(
            (r): RoundRow => ({
              id: r.tx_id,
              vaultId: r.vault_id,
              status: r.status,
              round: Number(r.round),
              proposedAt: iso(r.proposed_at),
            }),
          )}
        />,
      );
    })
    .get("/governance", async (c) => {
      need(c, "governance:read");
      const { proposals } = await listProposals(deps.db, { limit: 50 });
      const votes = proposals.length
        ? await deps.db.query<{ proposal_id: string; n: number | string }>(
            `SELECT proposal_id, count(*) AS n FROM governance_votes
             WHERE proposal_id = ANY(string_to_array($1, ',')::uuid[]) GROUP BY proposal_id`,
            [proposals.map((p) => p.id).join(",")],
          )
        : [];
      const count = new Map(votes.map((v) => [v.proposal_id, Number(v.n)]));
      return c.html(
        <GovernancePage
          view={viewOf(c)}
          proposals={proposals.map((p) => ({
            id: p.id,
            title: p.title,
            state: p.state,
            kind: p.kind,
            votingEndsAt: p.votingEndsAt,
            votes: count.get(p.id) ?? 0,
            tally: p.result ? JSON.stringify(p.result).slice(0, 200) : "—",
          }))}
        />,
      );
    })
    .get("/ledger", async (c) => {
      need(c, "audit:read");
      const [checkpoint, lag, rows] = await Promise.all([
        latestCheckpoint(deps.db),
        sequencerLag(deps),
        deps.db.query<{ export_id: string }>(
          "SELECT export_id FROM audit_exports ORDER BY requested_at DESC LIMIT 10",
        ),
      ]);
      const exports = (await Promise.all(rows.map((r) => exportById(deps.db, r.export_id)))).filter(
        (x) => x !== null,
      ) as ExportRow[];
      return c.html(
        <LedgerPage
          view={viewOf(c)}
          checkpoint={checkpoint}
          lag={lag}
          exports={exports}
          canExport={hasPermission(c.get("auth").roles, "audit:export")}
        />,
      );
    })
    .post("/ledger/exports", sameAs("POST /v1/audit/exports"), async (c) => {
      const format = (await form(c)).format === "csv" ? "csv" : "ndjson";
      const { view } = exportServices(deps);
      const latest = (await view.latestCheckpoint())?.size ?? 0;
      const req = await resolveExport(deps, view, { from: 0, to: latest, format });
      await requestExport(deps.store, req, metaOf(c));
      return c.redirect("/console/ledger", 303);
    })
    .get("/ledger/exports/:id/bundle", sameAs("GET /v1/audit/exports/{id}/bundle"), async (c) => {
      const id = c.req.param("id");
      if (!UUID.test(id)) throw new AppError("not_found", "No such export");
      const { body, headers } = await bundleDownload(deps.store, exportServices(deps).dir, id, metaOf(c));
      return c.body(body, 200, headers);
    });
}
