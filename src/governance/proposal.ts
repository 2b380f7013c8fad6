/**
 * A proposal's life cycle as a pure decider over the `proposal-<uuid>` stream,
 * after OpenZeppelin Governor: pending → active → succeeded | defeated |
 * cancelled; succeeded → queued (timelock) → executed | vetoed. Timed steps
 * (start, end, end of timelock) are decided here and run by delayed jobs
 * (jobs.ts); people's steps (cancel, veto, approve, execute) by the routes.
 */
import type { Evolver } from "../../events/handle.ts";
import type { NewEvent, Position, StoredEvent } from "../../events/types.ts";
import { AppError } from "../http/errors.ts";

export const PROPOSAL_STATES = [
  "pending",
  "active",
  "succeeded",
  "defeated",
  "cancelled",
  "queued",
  "executed",
  "vetoed",
] as const;
export type ProposalStateName = (typeof PROPOSAL_STATES)[number];

export const proposalStream = (id: string) => `proposal-${id}`;

export interface Proposal {
  id: string;
  proposerId: string;
  kind: "standard" | "high_risk";
  choices: string[];
  votingStartsAt: Date;
  votingEndsAt: Date;
  quorumPercent: number;
  thresholdPercent: number;
  timelockSeconds: number;
  state: ProposalStateName;
  snapshot: Position | null;
  totalPower: number;
  timelockEndsAt: Date | null;
  timelockEnded: boolean;
  vetoes: string[];
  approvals: string[];
}

export type ProposalState = Proposal | null;

type Data = Record<string, unknown>;

export const proposalEvolver: Evolver<ProposalState> = {
  initialState: () => null,
  evolve(s, e: StoredEvent) {
    const d = e.data as Data;
    if (e.type === "ProposalCreated") {
      return {
        id: d.proposalId as string,
        proposerId: d.proposerId as string,
        kind: d.kind as Proposal["kind"],
        choices: d.choices as string[],
        votingStartsAt: new Date(d.votingStartsAt as string),
        votingEndsAt: new Date(d.votingEndsAt as string),
        quorumPercent: d.quorumPercent as number,
        thresholdPercent: d.thresholdPercent as number,
        timelockSeconds: d.timelockSeconds as number,
        state: "pending",
        snapshot: null,
        totalPower: 0,
        timelockEndsAt: null,
        timelockEnded: false,
        vetoes: [],
        approvals: [],
      };
    }
    if (!s) return s;
    switch (e.type) {
      case "ProposalActivated":
        return { ...s, state: "active", snapshot: e.position, totalPower: d.totalPower as number };
      case "ProposalVotingClosed":
        return { ...s, state: d.outcome as ProposalStateName };
      case "ProposalQueued":
        return { ...s, state: "queued", timelockEndsAt: new Date(d.timelockEndsAt as string) };
      case "ProposalTimelockEnded":
        return { ...s, timelockEnded: true };
      case "ProposalCancelled":
        return { ...s, state: "cancelled" };
      case "GuardianVetoCast":
        return { ...s, vetoes: [...s.vetoes, d.guardianId as string] };
      case "ProposalVetoed":
        return { ...s, state: "vetoed" };
      case "GuardianApproved":
        return { ...s, approvals: [...s.approvals, d.guardianId as string] };
      case "ProposalExecuted":
        return { ...s, state: "executed" };
      default:
        return s;
    }
  },
};

export interface TallyEntry {
  power: number;
  votes: number;
}

export interface Outcome {
  outcome: "succeeded" | "defeated";
  tally: Record<string, TallyEntry>;
  votes: number;
  participation: number;
  totalPower: number;
  quorumReached: boolean;
  thresholdReached: boolean;
}

/**
 * Counting, as Governor's simple counting: every vote counts toward quorum
 * (participation ≥ quorum% of the total power at the snapshot); the first
 * choice is "for", the second "against", the rest abstentions; it passes when
 * for ≥ threshold% of for + against (and for > 0).
 */
export function countVotes(
  p: Pick<Proposal, "choices" | "quorumPercent" | "thresholdPercent" | "totalPower">,
  votes: readonly { choice: string; power: number }[],
): Outcome {
  const tally: Record<string, TallyEntry> = {};
  for (const c of p.choices) tally[c] = { power: 0, votes: 0 };
  let participation = 0;
  for (const v of votes) {
    const t = tally[v.choice];
    if (!t) continue;
    t.power += v.power;
    t.votes += 1;
    participation += v.power;
  }
  const yes = tally[p.choices[0]!]!.power;
  const no = tally[p.choices[1]!]!.power;
  const quorumReached = participation * 100 >= p.quorumPercent * p.totalPower && participation > 0;
  const thresholdReached = yes > 0 && yes * 100 >= p.thresholdPercent * (yes + no);
  return {
    outcome: quorumReached && thresholdReached ? "succeeded" : "defeated",
    tally,
    votes: votes.length,
    participation,
    totalPower: p.totalPower,
    quorumReached,
    thresholdReached,
  };
}

function must(s: ProposalState): Proposal {
  if (!s) throw new AppError("not_found", "No such proposal");
  return s;
}

function wrongState(s: Proposal, what: string): never {
  throw new AppError("proposal_state", `Cannot ${what} a proposal that is ${s.state}`, {
    ext: { state: s.state },
  });
}

/** Voting ends: the verdict, and for a success the timelock at once. */
export function decideClose(s: Proposal, outcome: Outcome, now: Date): NewEvent[] {
  const events: NewEvent[] = [{ type: "ProposalVotingClosed", data: { proposalId: s.id, ...outcome } }];
  if (outcome.outcome === "succeeded") {
    const ends = new Date(Math.max(now.getTime(), s.votingEndsAt.getTime()) + s.timelockSeconds * 1000);
    events.push({ type: "ProposalQueued", data: { proposalId: s.id, timelockEndsAt: ends.toISOString() } });
  }
  return events;
}

export function decideTimelockEnd(s: ProposalState, now: Date): NewEvent[] {
  if (s?.state !== "queued" || s.timelockEnded || !s.timelockEndsAt) return [];
  if (now < s.timelockEndsAt) return [];
  return [{ type: "ProposalTimelockEnded", data: { proposalId: s.id } }];
}

export interface Caller {
  userId: string;
  isAdmin: boolean;
}

/** The proposer before voting starts; an admin at any time before the end of the road, with a reason. */
export function decideCancel(
  state: ProposalState,
  caller: Caller,
  reason: string | null,
  now: Date,
): NewEvent[] {
  const s = must(state);
  if (["cancelled", "executed", "vetoed", "defeated"].includes(s.state)) wrongState(s, "cancel");
  const asProposer = caller.userId === s.proposerId && s.state === "pending" && now < s.votingStartsAt;
  if (!asProposer && !caller.isAdmin) {
    if (caller.userId === s.proposerId) wrongState(s, "cancel (voting has started)");
    throw new AppError("forbidden", "Only the proposer (before voting starts) or an admin may cancel");
  }
  if (!asProposer && !reason)
    throw new AppError("validation_failed", "An admin cancelling needs a reason", {
      errors: [{ path: "reason", message: "required" }],
    });
  return [
    {
      type: "ProposalCancelled",
      data: { proposalId: s.id, by: asProposer ? "proposer" : "admin", userId: caller.userId, reason },
    },
  ];
}

/** Vetoes needed: one for a standard proposal; two for a high-risk one, unless only one guardian exists. */
export const vetoesNeeded = (s: Proposal, guardians: number) =>
  s.kind === "high_risk" ? Math.max(1, Math.min(2, guardians)) : 1;

function duringTimelock(s: Proposal, now: Date, what: string): void {
  if (s.state !== "queued") wrongState(s, what);
  if (s.timelockEnded || (s.timelockEndsAt && now >= s.timelockEndsAt)) {
    throw new AppError("timelock_over", `The timelock is over: too late to ${what}`);
  }
}

export function decideVeto(
  state: ProposalState,
  guardianId: string,
  reason: string,
  guardians: number,
  now: Date,
): NewEvent[] {
  const s = must(state);
  duringTimelock(s, now, "veto");
  if (s.vetoes.includes(guardianId))
    throw new AppError("already_intervened", "You already vetoed this proposal");
  const vetoes = s.vetoes.length + 1;
  const needed = vetoesNeeded(s, guardians);
  const events: NewEvent[] = [
    { type: "GuardianVetoCast", data: { proposalId: s.id, guardianId, reason, vetoes, needed } },
  ];
  if (vetoes >= needed) {
    events.push({
      type: "ProposalVetoed",
      data: { proposalId: s.id, guardianIds: [...s.vetoes, guardianId] },
    });
  }
  return events;
}

export function decideApprove(state: ProposalState, guardianId: string, reason: string): NewEvent[] {
  const s = must(state);
  if (s.state !== "queued") wrongState(s, "approve");
  if (s.approvals.includes(guardianId))
    throw new AppError("already_intervened", "You already approved this proposal");
  return [{ type: "GuardianApproved", data: { proposalId: s.id, guardianId, reason } }];
}

export function decideExecute(state: ProposalState, userId: string, now: Date): NewEvent[] {
  const s = must(state);
  if (s.state !== "queued") wrongState(s, "execute");
  if (!s.timelockEnded && (!s.timelockEndsAt || now < s.timelockEndsAt)) {
    throw new AppError("timelock_active", "The timelock has not ended yet", {
      ext: { timelockEndsAt: s.timelockEndsAt?.toISOString() ?? null },
    });
  }
  if (s.kind === "high_risk" && s.approvals.length === 0) {
    throw new AppError(
      "approval_required",
      "A high-risk proposal needs a guardian's approval before execution",
    );
  }
  return [{ type: "ProposalExecuted", data: { proposalId: s.id, userId } }];
}
