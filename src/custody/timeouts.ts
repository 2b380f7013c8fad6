/**
 * Round timeouts. Every SigningRoundStarted becomes a delayed job
 * (`custody.round-timeout`, id `<event id>/custody.round-timeout`, due at the
 * round's deadline), so a restart neither loses nor doubles it. When it runs,
 * a round still open and still the current one times out: the next round
 * starts, or after the last attempt the transaction fails.
 */
import type { EventMetadata } from "../../events/types.ts";
import { type CustodyDeps, loadVault, onTransaction } from "./context.ts";
import { eligibleSigners, nextRoundOrFail } from "./signing.ts";
import { requireVault } from "./vault.ts";

export interface RoundTimeoutJob {
  txId: string;
  round: number;
  startedEventId: string;
}

const systemMeta = (job: RoundTimeoutJob): EventMetadata => ({
  actor: "system:custody-timeouts",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: job.startedEventId,
  causationId: job.startedEventId,
});

/** Returns whether the round timed out (false: it had finished, or moved on, already). */
export async function timeoutRound(deps: CustodyDeps, job: RoundTimeoutJob): Promise<boolean> {
  let timedOut = false;
  await onTransaction(
    deps,
    job.txId,
    async (t) => {
      timedOut = false;
      const r = t.round;
      if (!r || r.startedEventId !== job.startedEventId) return [];
      if (t.status !== "collecting_commitments" && t.status !== "signing") return [];
      const vault = requireVault(await loadVault(deps, t.vaultId));
      const waitingFor =
        t.status === "signing"
          ? (r.signers ?? []).filter((s) => !r.shares[s.userId]).map((s) => s.userId)
          : eligibleSigners(vault, t.excluded)
              .filter((g) => !r.commitments.some((c) => c.userId === g.userId))
              .map((g) => g.userId);
      timedOut = true;
      return [
        {
          type: "SigningRoundTimedOut",
          data: { txId: t.txId, vaultId: t.vaultId, round: r.number, missing: waitingFor },
        },
        nextRoundOrFail(deps, vault, t, r.number, t.excluded),
      ];
    },
    systemMeta(job),
  );
  return timedOut;
}
