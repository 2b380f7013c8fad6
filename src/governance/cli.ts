/** `npm run cli -- governance verify <proposalId>`: exit 0 when the log holds up, 1 on any difference. */
import type { CliDeps } from "../cli/commands.ts";
import { verifyProposal } from "./verify.ts";

export async function cmdGovernanceVerify(
  d: Pick<CliDeps, "db" | "store" | "out">,
  proposalId: string,
): Promise<number> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(proposalId)) {
    d.out(`not a proposal id: ${JSON.stringify(proposalId.slice(0, 64))}`);
    return 2;
  }
  const r = await verifyProposal(d.db, d.store, proposalId);
  d.out(`proposal ${r.proposalId}  state: ${r.state ?? "unknown"}  votes: ${r.votes}`);
  if (r.recount) {
    const tally = Object.entries(r.recount.tally)
      .map(([c, t]) => `${c}=${t.power} (${t.votes})`)
      .join("  ");
    d.out(
      `recount: ${tally}  participation ${r.recount.participation} of ${r.recount.totalPower}  → ${r.recount.outcome}`,
    );
  }
  for (const p of r.problems) d.out(`DIFFERENCE ${p}`);
  d.out(
    r.problems.length ? "governance verification FAILED" : "every signature verifies and the tally matches",
  );
  return r.problems.length ? 1 : 0;
}
