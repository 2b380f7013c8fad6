/** Read models of governance, as the API serves them. */
import type { Sql } from "../../db/client.ts";
import type { Position } from "../../events/types.ts";
import type { ProposalStateName, TallyEntry } from "./proposal.ts";

export interface ProposalView {
  id: string;
  proposerId: string;
  title: string;
  body: string;
  kind: "standard" | "high_risk";
  choices: string[];
  votingStartsAt: string;
  votingEndsAt: string;
  quorumPercent: number;
  thresholdPercent: number;
  timelockSeconds: number;
  state: ProposalStateName;
  /** The log position at which voting opened; votes count with power as of it. */
  snapshot: Position | null;
  totalPower: number | null;
  result: Record<string, unknown> | null;
  timelockEndsAt: string | null;
  timelockEnded: boolean;
  vetoes: string[];
  approvals: string[];
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  proposal_id: string;
  proposer_id: string;
  title: string;
  body: string;
  kind: "standard" | "high_risk";
  choices: string[] | string;
  voting_starts_at: Date | string;
  voting_ends_at: Date | string;
  quorum_percent: number;
  threshold_percent: number;
  timelock_seconds: number;
  state: ProposalStateName;
  snapshot_tx_id: string | null;
  snapshot_id: number | string | null;
  total_power: number | string | null;
  result: Record<string, unknown> | string | null;
  timelock_ends_at: Date | string | null;
  timelock_ended: boolean;
  vetoes: string[] | string;
  approvals: string[] | string;
  cancel_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

function view(r: Row): ProposalView {
  return {
    id: r.proposal_id,
    proposerId: r.proposer_id,
    title: r.title,
    body: r.body,
    kind: r.kind,
    choices: json(r.choices),
    votingStartsAt: iso(r.voting_starts_at),
    votingEndsAt: iso(r.voting_ends_at),
    quorumPercent: r.quorum_percent,
    thresholdPercent: r.threshold_percent,
    timelockSeconds: r.timelock_seconds,
    state: r.state,
    snapshot: r.snapshot_tx_id === null ? null : { txId: r.snapshot_tx_id, id: Number(r.snapshot_id) },
    totalPower: r.total_power === null ? null : Number(r.total_power),
    result: r.result === null ? null : json(r.result),
    timelockEndsAt: r.timelock_ends_at === null ? null : iso(r.timelock_ends_at),
    timelockEnded: r.timelock_ended,
    vetoes: json(r.vetoes),
    approvals: json(r.approvals),
    cancelReason: r.cancel_reason,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function proposalById(sql: Sql, id: string): Promise<ProposalView | null> {
  const rows = await sql.query<Row>("SELECT * FROM governance_proposals WHERE proposal_id = $1", [id]);
  return rows[0] ? view(rows[0]) : null;
}

export type VotingWindow = Pick<
  ProposalView,
  "state" | "choices" | "votingStartsAt" | "votingEndsAt" | "snapshot"
>;

function windowOf(r: Row): VotingWindow {
  return {
    state: r.state,
    choices: json(r.choices),
    votingStartsAt: iso(r.voting_starts_at),
    votingEndsAt: iso(r.voting_ends_at),
    snapshot: r.snapshot_tx_id === null ? null : { txId: r.snapshot_tx_id, id: Number(r.snapshot_id) },
  };
}

/** What a vote needs of its proposal (not the body, which may be 20,000 characters). */
export async function votingWindow(sql: Sql, id: string): Promise<VotingWindow | null> {
  const rows = await sql.query<Row>(
    `SELECT state, choices, voting_starts_at, voting_ends_at, snapshot_tx_id, snapshot_id
     FROM governance_proposals WHERE proposal_id = $1`,
    [id],
  );
  const r = rows[0];
  return r ? windowOf(r) : null;
}

/**
 * `votingWindow`, kept once the proposal is active: from then on its choices,
 * window and snapshot never change, so the cheap checks of a vote need no
 * round trip. Its state does change (closed, cancelled), and a kept copy may
 * still say "active": only for checks the vote's statement makes again under
 * the proposal's lock (db/migrations/0014), never for a decision on its own.
 */
export function votingWindows(sql: Sql, max = 256): (id: string) => Promise<VotingWindow | null> {
  const kept = new Map<string, VotingWindow>();
  return async (id) => {
    const hit = kept.get(id);
    if (hit) return hit;
    const w = await votingWindow(sql, id);
    if (w?.state === "active" && w.snapshot) {
      kept.set(id, w);
      if (kept.size > max) kept.delete(kept.keys().next().value!);
    }
    return w;
  };
}

/** Newest first; `before` is the last id of the previous page (ids are UUIDv7, so time-ordered). */
export async function listProposals(
  sql: Sql,
  q: { state?: string | undefined; before?: string | undefined; limit: number },
): Promise<{ proposals: ProposalView[]; nextCursor: string | null }> {
  const rows = await sql.query<Row>(
    `SELECT * FROM governance_proposals
     WHERE ($1::text IS NULL OR state = $1) AND ($2::uuid IS NULL OR proposal_id < $2::uuid)
     ORDER BY proposal_id DESC LIMIT $3`,
    [q.state ?? null, q.before ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit).map(view);
  return { proposals: page, nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
}

/** The live tally (async projection; may trail the latest votes by a moment). */
export async function liveTally(sql: Sql, proposalId: string, choices: readonly string[]) {
  const rows = await sql.query<{ choice: string; power: number | string; votes: number }>(
    "SELECT choice, power, votes FROM governance_tallies WHERE proposal_id = $1",
    [proposalId],
  );
  const tally: Record<string, TallyEntry> = {};
  for (const c of choices) tally[c] = { power: 0, votes: 0 };
  for (const r of rows) tally[r.choice] = { power: Number(r.power), votes: Number(r.votes) };
  return tally;
}

export interface VoteRow {
  voteId: string;
  userId: string;
  chain: "ethereum" | "solana";
  wallet: string;
  choice: string;
  power: number;
  signedAt: number;
  reason: string;
  signature: string;
  chainId: string;
  castAt: string;
}

export async function votesOf(sql: Sql, proposalId: string): Promise<VoteRow[]> {
  const rows = await sql.query<Record<string, unknown>>(
    "SELECT * FROM governance_votes WHERE proposal_id = $1 ORDER BY tx_id::xid8, event_pos",
    [proposalId],
  );
  return rows.map((r) => ({
    voteId: r.vote_id as string,
    userId: r.user_id as string,
    chain: r.chain as VoteRow["chain"],
    wallet: r.wallet as string,
    choice: r.choice as string,
    power: Number(r.power),
    signedAt: Number(r.signed_at),
    reason: r.reason as string,
    signature: r.signature as string,
    chainId: r.chain_id as string,
    castAt: iso(r.cast_at as string),
  }));
}
