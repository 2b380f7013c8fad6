/**
 * Governance rules:
 * - veto storm: 3 or more guardian vetoes, on any proposals, within an hour
 *   (guardians acting together, or guardian accounts taken over);
 * - vote refusals: 10 or more refused votes by one account within 10 minutes
 *   (replayed or forged signatures, probing).
 */
import { accountOf, evidence, minutes, type Rule, recent } from "../types.ts";

export const VETO_STORM = { vetoes: 3, periodMs: minutes(60) } as const;
export const VOTE_REFUSALS = { refusals: 10, periodMs: minutes(10) } as const;

export const vetoStorm: Rule = (window, trigger) => {
  if (trigger.type !== "GuardianVetoCast") return [];
  const hits = recent(window, trigger, VETO_STORM.periodMs).filter((e) => e.type === "GuardianVetoCast");
  if (hits.length < VETO_STORM.vetoes) return [];
  const proposals = new Set(hits.map((e) => (e.data as { proposalId: string }).proposalId));
  return [
    {
      rule: "veto_storm",
      severity: "critical",
      subject: { kind: "global" },
      summary: `${hits.length} guardian vetoes on ${proposals.size} proposal(s) within 1 hour`,
      eventIds: evidence(hits),
      periodMs: VETO_STORM.periodMs,
    },
  ];
};

export const voteRefusals: Rule = (window, trigger) => {
  if (trigger.type !== "VoteRefused") return [];
  const account = accountOf(trigger);
  if (!account) return [];
  const hits = recent(window, trigger, VOTE_REFUSALS.periodMs).filter(
    (e) => e.type === "VoteRefused" && accountOf(e) === account,
  );
  if (hits.length < VOTE_REFUSALS.refusals) return [];
  return [
    {
      rule: "vote_refusals",
      severity: "high",
      subject: { kind: "account", account },
      summary: `${hits.length} refused votes by one account within 10 minutes`,
      eventIds: evidence(hits),
      periodMs: VOTE_REFUSALS.periodMs,
    },
  ];
};
