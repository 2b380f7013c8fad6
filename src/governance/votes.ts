/**
 * Casting a signed vote. Cheap checks first: the proposal's choices, window and
 * snapshot (kept in memory once it is active: they never change then), the
 * clock skew, the power at the snapshot (cached for good, power.ts). Then the
 * signature (in a worker thread). Then the write: one statement
 * (`vigil_cast_vote`, db/migrations/0014) that holds the proposal's stream row
 * in share mode (so a close waits for it), reads the state, the wallet's link
 * to the voter and an earlier vote once the lock is held (so it sees a close,
 * cancel or unlink that came first), appends VoteCast to a stream of its own
 * and writes the vote's row as the inline votes projection would. That row's
 * unique (proposal, user) index decides a race between two votes of one
 * voter: exactly one commits. A vote thus costs one round trip. Every refusal
 * is a VoteRefused event (a security signal) and its own problem code.
 */
import { pgCode, type Sql } from "../../db/client.ts";
import { atCommitPoint } from "../../db/deadline.ts";
import type { VOTE_REFUSALS } from "../../events/catalog/governance.ts";
import { type AppendRow, type CombinedAppend, pgTextArray } from "../../events/combiner.ts";
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata, Position } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { AppError, type ErrorCode } from "../http/errors.ts";
import { checkVote, solanaVoteText, type VoteFields, voteTypedData } from "./ballot.ts";
import type { TypedData } from "./crypto/eip712.ts";
import type { SignatureChecker } from "./crypto/signature-pool.ts";
import type { WalletChain } from "./crypto/siwe.ts";
import type { PowerState } from "./power.ts";
import { proposalStream } from "./proposal.ts";
import type { VotingWindow } from "./queries.ts";
import { normalizeWallet } from "./wallets.ts";

type Refusal = (typeof VOTE_REFUSALS)[number];
const REFUSAL_CODES: Record<Refusal, ErrorCode> = {
  wallet_not_linked: "wallet_not_linked",
  no_voting_power: "no_voting_power",
  already_voted: "already_voted",
  voting_closed: "voting_closed",
  bad_signature: "signature_invalid",
  signed_at_skew: "signed_at_skew",
  invalid_choice: "invalid_choice",
};

export const voteStream = (voteId: string) => `vote-${voteId}`;
export const voterRefusalsStream = (userId: string) => `voterefusals-${userId}`;
export const chainOf = (wallet: string): WalletChain => (wallet.startsWith("0x") ? "ethereum" : "solana");

export interface VoteInput {
  wallet: string;
  choice: string;
  reason?: string | undefined;
  signature: string;
  signedAt: number;
}

export interface VoteDeps extends AppDeps {
  powerAt(at: Position): Promise<PowerState>;
  /** The proposal's voting window, kept once active (queries.ts `votingWindows`). */
  windowOf(proposalId: string): Promise<VotingWindow | null>;
  /** Where vote signatures are checked (the worker pool at runtime). */
  signatures: SignatureChecker;
}

export const chainIdFor = (deps: AppDeps, chain: WalletChain) =>
  chain === "ethereum" ? String(deps.config.governance.chainId) : deps.config.governance.solanaCluster;

/** What the voter signs for these fields: the typed data (Ethereum) or the text (Solana). */
export function ballotFor(
  deps: AppDeps,
  chain: WalletChain,
  v: VoteFields,
  chainId = chainIdFor(deps, chain),
): { typedData?: TypedData; message?: string } {
  return chain === "ethereum"
    ? { typedData: voteTypedData(Number(chainId), v) }
    : { message: solanaVoteText(chainId, v) };
}

const isOpen = (p: VotingWindow, now: Date) =>
  p.state === "active" && now >= new Date(p.votingStartsAt) && now < new Date(p.votingEndsAt);

export async function castVote(
  deps: VoteDeps,
  userId: string,
  proposalId: string,
  input: VoteInput,
  meta: EventMetadata,
): Promise<{ voteId: string; power: number; choice: string; wallet: string }> {
  const chain = chainOf(input.wallet);
  const wallet = normalizeWallet(chain, input.wallet);
  const p = await deps.windowOf(proposalId);
  if (!p) throw new AppError("not_found", "No such proposal");
  const refuse = async (reason: Refusal): Promise<never> => {
    await deps.store.append(
      voterRefusalsStream(userId),
      "any",
      [{ type: "VoteRefused", data: { proposalId, userId, reason, chain } }],
      meta,
    );
    throw new AppError(REFUSAL_CODES[reason], undefined, { ext: { reason } });
  };
  const now = deps.clock.now();
  if (!p.choices.includes(input.choice)) return refuse("invalid_choice");
  if (!isOpen(p, now) || !p.snapshot) return refuse("voting_closed");
  if (Math.abs(input.signedAt - now.getTime() / 1000) > deps.config.governance.signedAtSkewSeconds)
    return refuse("signed_at_skew");
  if (!wallet) return refuse("wallet_not_linked");
  const power = (await deps.powerAt(p.snapshot)).get(userId) ?? 0;
  if (power <= 0) return refuse("no_voting_power");
  const fields: VoteFields = {
    proposalId,
    choice: input.choice,
    voter: wallet,
    signedAt: input.signedAt,
    reason: input.reason ?? "",
  };
  const chainId = chainIdFor(deps, chain);
  // Off the event loop (worker threads): the one CPU-heavy step of a vote.
  if (!(await checkVote(deps.signatures, chain, chainId, fields, input.signature)))
    return refuse("bad_signature");

  const voteId = uuidv7();
  const data = {
    voteId,
    proposalId,
    userId,
    chain,
    wallet,
    choice: fields.choice,
    reason: fields.reason,
    signedAt: fields.signedAt,
    chainId,
    signature: input.signature,
    power,
  };
  try {
    // One autocommit statement (db/migrations/0014): it locks the proposal's
    // stream row in share mode, re-reads the state, the wallet link and an
    // earlier vote under it, then appends and projects. A commit point: past
    // the request's deadline it does not start.
    await atCommitPoint(() =>
      deps.store.appendVia(voteStream(voteId), "no_stream", [{ type: "VoteCast", data }], meta, (a) =>
        castInOneStatement(deps.db, proposalStream(proposalId), a, deps.clock.now()),
      ),
    );
  } catch (err) {
    if (err instanceof Refused) return refuse(err.reason);
    throw err;
  }
  return { voteId, power, choice: input.choice, wallet };
}

const CAST =
  "SELECT refusal, ids, tx_id::text AS tx_id, version, head_hash " +
  "FROM vigil_cast_vote($1, $2, $3, $4, $5::text::text[], $6)";

/** The vote's append, checked again and projected in the same statement; a refusal throws `Refused`. */
async function castInOneStatement(
  sql: Sql,
  proposal: string,
  a: CombinedAppend,
  now: Date,
): Promise<AppendRow> {
  let row: (AppendRow & { refusal: Refusal | null }) | undefined;
  try {
    [row] = await sql.query<AppendRow & { refusal: Refusal | null }>(CAST, [
      proposal,
      a.streamId,
      a.streamType,
      a.expected,
      pgTextArray(a.canon),
      now.toISOString(),
    ]);
  } catch (err) {
    // Two votes of one voter at once: the unique index let the first one in.
    if (pgCode(err) === "23505" && String((err as Error).message).includes(VOTES_UNIQUE)) {
      throw new Refused("already_voted");
    }
    throw err;
  }
  if (!row) throw new Error("vigil_cast_vote returned no row");
  if (row.refusal) throw new Refused(row.refusal);
  return row;
}

const VOTES_UNIQUE = "governance_votes_proposal_user_key";

/** Nothing was written: the proposal stopped taking votes, the wallet was unlinked, or the voter voted. */
class Refused extends Error {
  constructor(readonly reason: Refusal) {
    super(reason);
  }
}
