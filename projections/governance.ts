/**
 * Inline projections of proposals and votes:
 * - `governance_proposals`: each proposal's state, snapshot position (the
 *   position of its ProposalActivated event), result, timelock and
 *   interventions, committed with the event so the next request sees it;
 * - `governance_votes`: one row per counted vote; the unique
 *   (proposal_id, user_id) index refuses a second vote inside the append, so
 *   of two racing votes by one voter exactly one is recorded.
 * And the async `governance_tallies`: power and count per choice, live while
 * voting is open (the verdict itself is recorded in ProposalVotingClosed).
 */

import type { ProposalCreated, VoteCast } from "../events/catalog/governance.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type { Projection } from "./types.ts";

const PROPOSAL_TYPES = [
  "ProposalCreated",
  "ProposalActivated",
  "ProposalVotingClosed",
  "ProposalQueued",
  "ProposalTimelockEnded",
  "ProposalCancelled",
  "GuardianVetoCast",
  "ProposalVetoed",
  "GuardianApproved",
  "ProposalExecuted",
];

type Data = Record<string, unknown>;

/** Column updates per event type (beyond version and updated_at). */
const UPDATES: Record<string, (d: Data) => [string, unknown[]]> = {
  ProposalVotingClosed: (d) => [
    "state = $4, result = $5::text::jsonb",
    [d.outcome, JSON.stringify({ ...d, proposalId: undefined })],
  ],
  ProposalQueued: (d) => ["state = 'queued', timelock_ends_at = $4", [d.timelockEndsAt]],
  ProposalTimelockEnded: () => ["timelock_ended = true", []],
  ProposalCancelled: (d) => ["state = 'cancelled', cancel_reason = $4", [d.reason]],
  GuardianVetoCast: (d) => ["vetoes = vetoes || $4::text::jsonb", [JSON.stringify([d.guardianId])]],
  ProposalVetoed: () => ["state = 'vetoed'", []],
  GuardianApproved: (d) => ["approvals = approvals || $4::text::jsonb", [JSON.stringify([d.guardianId])]],
  ProposalExecuted: () => ["state = 'executed'", []],
};

export const proposalsProjection: Projection = {
  name: "governance_proposals",
  mode: "inline",
  eventTypes: PROPOSAL_TYPES,
  tables: ["governance_proposals"],
  async apply(sql, e) {
    const d = e.data as Data;
    const at = e.recordedAt.toISOString();
    if (e.type === "ProposalCreated") {
      const p = d as EventOf<typeof ProposalCreated>["data"];
      await sql.query(
        `INSERT INTO governance_proposals (proposal_id, proposer_id, title, body, kind, choices,
           voting_starts_at, voting_ends_at, quorum_percent, threshold_percent, timelock_seconds, state,
           created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11, 'pending', $12, $12, $13)`,
        [
          p.proposalId,
          p.proposerId,
          p.title,
          p.body,
          p.kind,
          JSON.stringify(p.choices),
          p.votingStartsAt,
          p.votingEndsAt,
          p.quorumPercent,
          p.thresholdPercent,
          p.timelockSeconds,
          at,
          e.streamVersion,
        ],
      );
      return;
    }
    if (e.type === "ProposalActivated") {
      await sql.query(
        `UPDATE governance_proposals SET state = 'active', snapshot_tx_id = $2, snapshot_id = $3, total_power = $4,
                updated_at = $5, version = $6
         WHERE proposal_id = $1`,
        [d.proposalId, e.position.txId, e.position.id, d.totalPower, at, e.streamVersion],
      );
      return;
    }
    const update = UPDATES[e.type];
    if (!update) return;
    const [set, params] = update(d);
    await sql.query(
      `UPDATE governance_proposals SET ${set}, updated_at = $2, version = $3 WHERE proposal_id = $1`,
      [d.proposalId, at, e.streamVersion, ...params],
    );
  },
};

export const votesProjection: Projection = {
  name: "governance_votes",
  mode: "inline",
  eventTypes: ["VoteCast"],
  tables: ["governance_votes"],
  async apply(sql, e) {
    const d = e.data as EventOf<typeof VoteCast>["data"];
    await sql.query(
      `INSERT INTO governance_votes (vote_id, proposal_id, user_id, chain, wallet, choice, power, signed_at,
         reason, signature, chain_id, cast_at, tx_id, event_pos)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        d.voteId,
        d.proposalId,
        d.userId,
        d.chain,
        d.wallet,
        d.choice,
        d.power,
        d.signedAt,
        d.reason,
        d.signature,
        d.chainId,
        e.recordedAt.toISOString(),
        e.position.txId,
        e.position.id,
      ],
    );
  },
};

export const talliesProjection: Projection = {
  name: "governance_tallies",
  mode: "async",
  eventTypes: ["VoteCast"],
  tables: ["governance_tallies"],
  async apply(sql, e) {
    const d = e.data as EventOf<typeof VoteCast>["data"];
    await sql.query(
      `INSERT INTO governance_tallies (proposal_id, choice, power, votes) VALUES ($1, $2, $3, 1)
       ON CONFLICT (proposal_id, choice)
       DO UPDATE SET power = governance_tallies.power + excluded.power, votes = governance_tallies.votes + 1`,
      [d.proposalId, d.choice, d.power],
    );
  },
};
