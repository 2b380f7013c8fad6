/**
 * Governance: linked wallets, voting power, proposals, signed votes and
 * guardian intervention (src/governance). Streams:
 *
 * - `walletnonce-<nonce>`: a wallet-link challenge and its single use;
 * - `wallets-<userId>`: a user's links, unlinks and failed link attempts;
 * - `governance-power`: every voting-power assignment (one stream, so the
 *   power of everyone at a log position is one `stateAt` over it);
 * - `proposal-<uuid>`: a proposal's life cycle, interventions included;
 * - `vote-<uuid>`: one signed vote;
 * - `voterefusals-<userId>`: refused votes, recorded as security signals.
 *
 * Wallet addresses identify a person: in the link events they are sealed with
 * the user's data key (events/pii.ts) and never appear in stream ids. A vote
 * keeps its wallet in clear: votes are public records, verifiable by anyone,
 * and the address is recoverable from the signature anyway; erasing a person
 * removes the link between them and the wallet, not the wallet's votes.
 * No event holds a secret: signatures are public by design.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";
import { userSubject } from "./personal.ts";

export const WALLET_CHAINS = ["ethereum", "solana"] as const;
export const PROPOSAL_KINDS = ["standard", "high_risk"] as const;
export const WALLET_LINK_FAILURES = [
  "malformed_message",
  "unknown_challenge",
  "challenge_used",
  "challenge_expired",
  "message_mismatch",
  "bad_signature",
  "address_taken",
] as const;
export const VOTE_REFUSALS = [
  "wallet_not_linked",
  "no_voting_power",
  "already_voted",
  "voting_closed",
  "bad_signature",
  "signed_at_skew",
  "invalid_choice",
] as const;

const userId = z.uuid();
const proposalId = z.uuid();
const chain = z.enum(WALLET_CHAINS);
const address = z.string().min(32).max(64);
const reason = z.string().max(1000);
const power = z.number().int().min(0).max(1e12);
const iso = z.iso.datetime();

const wallet = (type: string, description: string, schema: z.ZodType, sealed: readonly string[] = []) =>
  defineEvent({
    type,
    domain: "governance",
    description,
    version: 1,
    schema,
    ...(sealed.length ? { pii: { subject: userSubject, fields: sealed } } : {}),
  });

export const WalletChallengeIssued = defineEvent({
  type: "WalletChallengeIssued",
  domain: "governance",
  description:
    "A user asked to link a wallet: Vigil issued a Sign-In with Ethereum (EIP-4361) message with this nonce, valid until `expiresAt`.",
  version: 1,
  schema: z.object({
    nonce: z.string().regex(/^[A-Za-z0-9]{16,64}$/),
    userId,
    chain,
    address,
    message: z.string().max(2000),
    issuedAt: iso,
    expiresAt: iso,
  }),
  pii: { subject: userSubject, fields: ["address", "message"] },
});

export const WalletChallengeUsed = defineEvent({
  type: "WalletChallengeUsed",
  domain: "governance",
  description: "The challenge was presented once; it cannot be presented again, whatever the outcome.",
  version: 1,
  schema: z.object({ nonce: z.string().max(64), userId, linked: z.boolean() }),
});

export const WalletLinked = defineEvent({
  type: "WalletLinked",
  domain: "governance",
  description: "A wallet was linked to the user after its signature over the challenge verified.",
  version: 1,
  schema: z.object({ walletId: z.uuid(), userId, chain, address, nonce: z.string().max(64) }),
  pii: { subject: userSubject, fields: ["address"] },
});

export const WalletUnlinked = wallet(
  "WalletUnlinked",
  "The user unlinked a wallet; the address may be linked again (by anyone).",
  z.object({ walletId: z.uuid(), userId, chain, address }),
  ["address"],
);

export const WalletLinkFailed = wallet(
  "WalletLinkFailed",
  "A wallet link attempt was refused, with the reason.",
  z.object({
    userId,
    chain: chain.nullable(),
    reason: z.enum(WALLET_LINK_FAILURES),
    nonce: z.string().max(64).nullable(),
  }),
);

export const VotingPowerAssigned = defineEvent({
  type: "VotingPowerAssigned",
  domain: "governance",
  description:
    "An admin set a user's voting power (an integer), with a reason. Proposals read it as of their snapshot.",
  version: 1,
  schema: z.object({ userId, power, previous: power, reason }),
});

export const ProposalCreated = defineEvent({
  type: "ProposalCreated",
  domain: "governance",
  description:
    "A stakeholder created a proposal (state `pending`). The body is stored as given (plain text or Markdown), never rendered by Vigil.",
  version: 1,
  schema: z.object({
    proposalId,
    proposerId: userId,
    title: z.string().min(1).max(200),
    body: z.string().max(20_000),
    kind: z.enum(PROPOSAL_KINDS),
    choices: z.array(z.string().min(1).max(64)).min(2).max(10),
    votingStartsAt: iso,
    votingEndsAt: iso,
    quorumPercent: z.number().int().min(0).max(100),
    thresholdPercent: z.number().int().min(1).max(100),
    timelockSeconds: z.number().int().min(0),
  }),
});

export const ProposalActivated = defineEvent({
  type: "ProposalActivated",
  domain: "governance",
  description:
    "Voting opened. This event's log position is the proposal's snapshot: votes count with the power their voter held there. `totalPower` is the sum of everyone's power at the snapshot.",
  version: 1,
  schema: z.object({ proposalId, totalPower: z.number().int().min(0), votingEndsAt: iso }),
});

const tally = z.record(
  z.string(),
  z.object({ power: z.number().int().min(0), votes: z.number().int().min(0) }),
);

export const ProposalVotingClosed = defineEvent({
  type: "ProposalVotingClosed",
  domain: "governance",
  description:
    "Voting ended: `succeeded` or `defeated`, with the tally of the votes recorded before this event, the quorum and the threshold as applied.",
  version: 1,
  schema: z.object({
    proposalId,
    outcome: z.enum(["succeeded", "defeated"]),
    tally,
    votes: z.number().int().min(0),
    participation: z.number().int().min(0),
    totalPower: z.number().int().min(0),
    quorumReached: z.boolean(),
    thresholdReached: z.boolean(),
  }),
});

export const ProposalQueued = defineEvent({
  type: "ProposalQueued",
  domain: "governance",
  description: "A succeeded proposal entered its timelock; guardians may veto it until `timelockEndsAt`.",
  version: 1,
  schema: z.object({ proposalId, timelockEndsAt: iso }),
});

export const ProposalTimelockEnded = defineEvent({
  type: "ProposalTimelockEnded",
  domain: "governance",
  description: "The timelock of a queued proposal ran out without a veto: it may now be executed.",
  version: 1,
  schema: z.object({ proposalId }),
});

export const ProposalCancelled = defineEvent({
  type: "ProposalCancelled",
  domain: "governance",
  description:
    "The proposer (before voting started) or an admin (at any time, with a reason) cancelled the proposal.",
  version: 1,
  schema: z.object({ proposalId, by: z.enum(["proposer", "admin"]), userId, reason: reason.nullable() }),
});

export const GuardianVetoCast = defineEvent({
  type: "GuardianVetoCast",
  domain: "governance",
  description:
    "A guardian vetoed a queued proposal during its timelock, with a reason. A high-risk proposal needs two guardians' vetoes (one when only one guardian exists).",
  version: 1,
  schema: z.object({
    proposalId,
    guardianId: userId,
    reason,
    vetoes: z.number().int().min(1),
    needed: z.number().int().min(1),
  }),
});

export const ProposalVetoed = defineEvent({
  type: "ProposalVetoed",
  domain: "governance",
  description: "Enough guardians vetoed: the proposal will not be executed.",
  version: 1,
  schema: z.object({ proposalId, guardianIds: z.array(userId).min(1) }),
});

export const GuardianApproved = defineEvent({
  type: "GuardianApproved",
  domain: "governance",
  description:
    "A guardian explicitly approved a queued proposal; a high-risk proposal cannot execute without one.",
  version: 1,
  schema: z.object({ proposalId, guardianId: userId, reason }),
});

export const ProposalExecuted = defineEvent({
  type: "ProposalExecuted",
  domain: "governance",
  description:
    "An admin marked the proposal executed after its timelock (and, if high risk, a guardian's approval).",
  version: 1,
  schema: z.object({ proposalId, userId }),
});

export const VoteCast = defineEvent({
  type: "VoteCast",
  domain: "governance",
  description:
    "A signed vote counted, with the voter's power at the snapshot. `signature` is over EIP-712 typed data (Ethereum; domain `Vigil Governance`, `chainId`) or the canonical vote text (Solana): anyone can verify it again.",
  version: 1,
  schema: z.object({
    voteId: z.uuid(),
    proposalId,
    userId,
    chain,
    wallet: address,
    choice: z.string().min(1).max(64),
    reason: z.string().max(500),
    signedAt: z.number().int().min(0),
    chainId: z.string().max(64),
    signature: z.string().max(200),
    power: power.min(1),
  }),
});

export const VoteRefused = defineEvent({
  type: "VoteRefused",
  domain: "governance",
  description: "A vote was refused (recorded as a security signal, not as a vote), with the reason.",
  version: 1,
  schema: z.object({ proposalId, userId, reason: z.enum(VOTE_REFUSALS), chain: chain.nullable() }),
});

export const governanceEvents = [
  WalletChallengeIssued,
  WalletChallengeUsed,
  WalletLinked,
  WalletUnlinked,
  WalletLinkFailed,
  VotingPowerAssigned,
  ProposalCreated,
  ProposalActivated,
  ProposalVotingClosed,
  ProposalQueued,
  ProposalTimelockEnded,
  ProposalCancelled,
  GuardianVetoCast,
  ProposalVetoed,
  GuardianApproved,
  ProposalExecuted,
  VoteCast,
  VoteRefused,
];
