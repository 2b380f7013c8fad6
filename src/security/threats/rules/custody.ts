/**
 * Custody threat rules:
 *
 * - `custody_invalid_share`: a guardian sent a signature share that failed
 *   verification. Every occurrence is a high alert about that guardian: an
 *   honest device does not produce one.
 * - `custody_commitment_reuse`: a guardian offered a nonce commitment seen
 *   before. Reusing nonces leaks the signing share; high, about the guardian.
 * - `custody_round_timeouts`: signing rounds of one vault keep timing out
 *   (3 within an hour): guardians unreachable, or one stalling on purpose.
 */
import type { Rule } from "../types.ts";
import { evidence, recent } from "../types.ts";

export const CUSTODY_ROUND_TIMEOUTS = { count: 3, periodMs: 3_600_000 };

export const custodyInvalidShare: Rule = (_window, trigger) => {
  if (trigger.type !== "SignatureShareRejected") return [];
  const { userId } = trigger.data as { userId: string };
  return [
    {
      rule: "custody_invalid_share",
      severity: "high",
      subject: { kind: "account", account: userId },
      summary:
        "A guardian submitted a signature share that failed verification; they were left out of the next round",
      eventIds: [trigger.eventId],
      periodMs: null,
    },
  ];
};

export const custodyCommitmentReuse: Rule = (_window, trigger) => {
  if (trigger.type !== "NonceCommitmentRefused") return [];
  const { userId } = trigger.data as { userId: string };
  return [
    {
      rule: "custody_commitment_reuse",
      severity: "high",
      subject: { kind: "account", account: userId },
      summary: "A guardian offered a nonce commitment that was seen before (nonce reuse); it was refused",
      eventIds: [trigger.eventId],
      periodMs: null,
    },
  ];
};

export const custodyRoundTimeouts: Rule = (window, trigger) => {
  if (trigger.type !== "SigningRoundTimedOut") return [];
  const { vaultId } = trigger.data as { vaultId: string };
  const same = recent(window, trigger, CUSTODY_ROUND_TIMEOUTS.periodMs).filter(
    (e) => (e.data as { vaultId?: string }).vaultId === vaultId,
  );
  if (same.length < CUSTODY_ROUND_TIMEOUTS.count) return [];
  return [
    {
      rule: "custody_round_timeouts",
      severity: "medium",
      subject: { kind: "vault", vaultId },
      summary: `${same.length} signing rounds of one vault timed out within an hour`,
      eventIds: evidence(same),
      periodMs: CUSTODY_ROUND_TIMEOUTS.periodMs,
    },
  ];
};
