/**
 * Proposal commands. Each transition runs in one transaction that first locks
 * the proposal's stream row, loads the stream through that transaction,
 * decides (proposal.ts) and appends at the version it read. Votes hold the
 * same row in share mode while they are recorded (votes.ts), so closing
 * waits for votes in flight and a vote after the close sees it closed: the
 * votes counted at the close are exactly the proposal's VoteCast events.
 */
import type { Sql } from "../../db/client.ts";
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { POWER_STREAM } from "./power.ts";
import {
  countVotes,
  decideClose,
  decideTimelockEnd,
  type Proposal,
  type ProposalState,
  proposalEvolver,
  proposalStream,
} from "./proposal.ts";
import type { ProposalView } from "./queries.ts";
import { loadIn, lockStream } from "./streams.ts";

export type NewProposal = Pick<
  ProposalView,
  | "title"
  | "body"
  | "kind"
  | "choices"
  | "votingStartsAt"
  | "votingEndsAt"
  | "quorumPercent"
  | "thresholdPercent"
>;

const YEAR_MS = 365 * 86_400_000;

export async function createProposal(
  deps: AppDeps,
  proposerId: string,
  p: NewProposal,
  meta: EventMetadata,
): Promise<string> {
  const g = deps.config.governance;
  const now = deps.clock.now().getTime();
  const starts = new Date(p.votingStartsAt).getTime();
  const ends = new Date(p.votingEndsAt).getTime();
  const problems: { path: string; message: string }[] = [];
  // A minute of slack for clients whose clock runs a little behind.
  if (starts < now - 60_000) problems.push({ path: "votingStartsAt", message: "must not be in the past" });
  if (starts > now + YEAR_MS) problems.push({ path: "votingStartsAt", message: "must be within a year" });
  if (ends - starts < g.minVotingSeconds * 1000)
    problems.push({
      path: "votingEndsAt",
      message: `must be at least ${g.minVotingSeconds} s after votingStartsAt`,
    });
  if (ends - starts > YEAR_MS)
    problems.push({ path: "votingEndsAt", message: "voting may last a year at most" });
  if (new Set(p.choices).size !== p.choices.length)
    problems.push({ path: "choices", message: "must be distinct" });
  if (problems.length)
    throw new AppError("validation_failed", "The proposal has invalid fields", { errors: problems });
  const proposalId = uuidv7();
  await deps.store.append(
    proposalStream(proposalId),
    "no_stream",
    [
      {
        type: "ProposalCreated",
        data: {
          proposalId,
          proposerId,
          ...p,
          votingStartsAt: new Date(starts).toISOString(),
          votingEndsAt: new Date(ends).toISOString(),
          timelockSeconds: p.kind === "high_risk" ? g.highRiskTimelockSeconds : g.timelockSeconds,
        },
      },
    ],
    meta,
  );
  return proposalId;
}

/**
 * Runs `decide` on the proposal inside a transaction holding its stream row.
 * `before` runs first in the transaction (activation locks the power stream there).
 */
export async function onProposal(
  deps: AppDeps,
  proposalId: string,
  meta: EventMetadata,
  decide: (tx: Sql, s: ProposalState) => Promise<readonly NewEvent[]> | readonly NewEvent[],
  before?: (tx: Sql) => Promise<void>,
): Promise<ProposalState> {
  const stream = proposalStream(proposalId);
  return deps.db.transaction(async (tx) => {
    if (before) await before(tx);
    await lockStream(tx, stream);
    const { state, version } = await loadIn(tx, deps.store, stream, proposalEvolver);
    const events = await decide(tx, state);
    if (events.length === 0 || version === 0) return state;
    const appended = await deps.store.appendIn(tx, stream, version, events, meta);
    let next = state;
    for (const e of appended.events) next = proposalEvolver.evolve(next, e);
    return next;
  });
}

/** Voting opens: this event's position is the snapshot. Locks the power stream first (power.ts says why). */
export function activate(deps: AppDeps, proposalId: string, meta: EventMetadata): Promise<ProposalState> {
  return onProposal(
    deps,
    proposalId,
    meta,
    async (tx, s) => {
      if (s?.state !== "pending" || deps.clock.now() < s.votingStartsAt) return [];
      const [r] = await tx.query<{ total: string | number | null }>(
        "SELECT sum(power) AS total FROM governance_power",
      );
      const data = {
        proposalId,
        totalPower: Number(r?.total ?? 0),
        votingEndsAt: s.votingEndsAt.toISOString(),
      };
      return [{ type: "ProposalActivated", data }];
    },
    (tx) => lockStream(tx, POWER_STREAM),
  );
}

export async function countedVotes(
  sql: Sql,
  proposalId: string,
): Promise<{ choice: string; power: number }[]> {
  const rows = await sql.query<{ choice: string; power: number | string }>(
    "SELECT choice, power FROM governance_votes WHERE proposal_id = $1",
    [proposalId],
  );
  return rows.map((r) => ({ choice: r.choice, power: Number(r.power) }));
}

export function close(deps: AppDeps, proposalId: string, meta: EventMetadata): Promise<ProposalState> {
  return onProposal(deps, proposalId, meta, async (tx, s) => {
    const now = deps.clock.now();
    if (s?.state !== "active" || now < s.votingEndsAt) return [];
    return decideClose(s, countVotes(s, await countedVotes(tx, proposalId)), now);
  });
}

export function endTimelock(deps: AppDeps, proposalId: string, meta: EventMetadata): Promise<ProposalState> {
  return onProposal(deps, proposalId, meta, (_tx, s) => decideTimelockEnd(s, deps.clock.now()));
}

/** Whether a timed step is still ahead (the job that ran early should try again later). */
export function stepAhead(s: ProposalState, step: "activate" | "close" | "timelock", now: Date): boolean {
  if (!s) return false;
  const p: Proposal = s;
  if (step === "activate") return p.state === "pending" && now < p.votingStartsAt;
  if (step === "close") return p.state === "active" && now < p.votingEndsAt;
  return p.state === "queued" && !p.timelockEnded && p.timelockEndsAt !== null && now < p.timelockEndsAt;
}

export async function activeGuardians(sql: Sql): Promise<number> {
  const [r] = await sql.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM users WHERE status = 'active' AND roles @> '["guardian"]'::jsonb`,
  );
  return Number(r?.n ?? 0);
}
