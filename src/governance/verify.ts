/**
 * Re-checks a proposal from the log alone, trusting no projection: every
 * vote's signature (EIP-712 / Solana text, from the fields recorded in
 * VoteCast), that its wallet was linked to the voter when it was cast, the
 * voter's power at the snapshot (stateAt over the power stream), one vote per
 * voter, the total power at the snapshot, and the recorded verdict against a
 * recount. `npm run cli -- governance verify <proposalId>` prints the result.
 */
import type { Db } from "../../db/client.ts";
import type { Evolver } from "../../events/handle.ts";
import { ERASED } from "../../events/pii.ts";
import { type EventRow, eventColumns, toStoredEvent } from "../../events/rows.ts";
import type { EventStore } from "../../events/store.ts";
import { stateAt } from "../../events/time-travel.ts";
import type { StoredEvent } from "../../events/types.ts";
import { verifyVote } from "./ballot.ts";
import { POWER_STREAM, powerEvolver, totalPower } from "./power.ts";
import { countVotes, proposalEvolver, proposalStream } from "./proposal.ts";
import { walletsStream } from "./wallets.ts";

export interface VerifyReport {
  proposalId: string;
  state: string | null;
  votes: number;
  problems: string[];
  recount: ReturnType<typeof countVotes> | null;
}

interface VoteData {
  voteId: string;
  userId: string;
  chain: "ethereum" | "solana";
  wallet: string;
  choice: string;
  reason: string;
  signedAt: number;
  chainId: string;
  signature: string;
  power: number;
}

/** The addresses linked to a user, per stream state. */
const linkedEvolver: Evolver<ReadonlySet<string>> = {
  initialState: () => new Set(),
  evolve(s, e) {
    const d = e.data as { chain: string; address: string };
    if (e.type === "WalletLinked") return new Set([...s, `${d.chain}:${d.address}`]);
    if (e.type === "WalletUnlinked") return new Set([...s].filter((a) => a !== `${d.chain}:${d.address}`));
    return s;
  },
};

async function voteEvents(db: Db, store: EventStore, proposalId: string): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${eventColumns()} FROM events WHERE type = 'VoteCast' AND data->>'proposalId' = $1 ORDER BY tx_id, id`,
    [proposalId],
  );
  return rows.map((r) => toStoredEvent(store.catalog, r));
}

export async function verifyProposal(db: Db, store: EventStore, proposalId: string): Promise<VerifyReport> {
  const events = await store.readStream(proposalStream(proposalId));
  let state = proposalEvolver.initialState();
  for (const e of events) state = proposalEvolver.evolve(state, e);
  const problems: string[] = [];
  if (!state)
    return { proposalId, state: null, votes: 0, problems: ["no such proposal in the log"], recount: null };
  const votes = await voteEvents(db, store, proposalId);
  if (!state.snapshot) {
    if (votes.length) problems.push(`${votes.length} vote(s) recorded on a proposal that never opened`);
    return { proposalId, state: state.state, votes: votes.length, problems, recount: null };
  }
  const power = (await stateAt(store, POWER_STREAM, powerEvolver, state.snapshot)).state;
  if (totalPower(power) !== state.totalPower)
    problems.push(`total power at the snapshot is ${totalPower(power)}, recorded ${state.totalPower}`);

  const voters = new Set<string>();
  const counted: { choice: string; power: number }[] = [];
  for (const e of votes) {
    const v = e.data as VoteData;
    const fields = { proposalId, choice: v.choice, voter: v.wallet, signedAt: v.signedAt, reason: v.reason };
    if (!verifyVote(v.chain, v.chainId, fields, v.signature))
      problems.push(`vote ${v.voteId}: signature does not verify`);
    if (!state.choices.includes(v.choice)) problems.push(`vote ${v.voteId}: "${v.choice}" is not a choice`);
    if (voters.has(v.userId)) problems.push(`vote ${v.voteId}: second vote by user ${v.userId}`);
    voters.add(v.userId);
    const linked = await stateAt(store, walletsStream(v.userId), linkedEvolver, e.position);
    // An erased voter's links read [erased]: the signature still proves the wallet voted.
    if (!linked.state.has(`${v.chain}:${v.wallet}`) && !linked.state.has(`${v.chain}:${ERASED}`))
      problems.push(`vote ${v.voteId}: wallet was not linked to user ${v.userId} when the vote was cast`);
    const held = power.get(v.userId) ?? 0;
    if (held !== v.power)
      problems.push(`vote ${v.voteId}: power at snapshot is ${held}, recorded ${v.power}`);
    counted.push({ choice: v.choice, power: held });
  }
  const recount = countVotes({ ...state, totalPower: totalPower(power) }, counted);
  const closed = events.find((e) => e.type === "ProposalVotingClosed");
  if (closed) {
    const recorded = closed.data as Record<string, unknown>;
    for (const key of [
      "outcome",
      "votes",
      "participation",
      "totalPower",
      "quorumReached",
      "thresholdReached",
    ] as const) {
      if (recorded[key] !== recount[key])
        problems.push(`${key}: recorded ${String(recorded[key])}, recount ${String(recount[key])}`);
    }
    // Compared per choice: jsonb does not keep key order.
    const tally = recorded.tally as Record<string, { power: number; votes: number } | undefined>;
    for (const c of state.choices) {
      const [a, b] = [tally[c], recount.tally[c]!];
      if (a?.power !== b.power || a.votes !== b.votes)
        problems.push(`tally of "${c}": recorded ${JSON.stringify(a)}, recount ${JSON.stringify(b)}`);
    }
  }
  return { proposalId, state: state.state, votes: votes.length, problems, recount };
}
