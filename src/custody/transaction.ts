/**
 * A transaction's state, folded from its stream `custodytx-<uuid>`:
 * proposed → collecting_commitments → signing → signed | failed | expired | cancelled.
 * Each round collects nonce commitments until `t` are in, fixes the signer set,
 * then collects signature shares from exactly those signers.
 */
import type { Evolver } from "../../events/handle.ts";
import type { StoredEvent } from "../../events/types.ts";
import { AppError } from "../http/errors.ts";
import type { Chain } from "./addresses.ts";

export type TransactionStatus =
  | "proposed"
  | "collecting_commitments"
  | "signing"
  | "signed"
  | "failed"
  | "expired"
  | "cancelled";

export const TERMINAL: readonly TransactionStatus[] = ["signed", "failed", "expired", "cancelled"];

export interface RoundCommitment {
  userId: string;
  identifier: string;
  hiding: string;
  binding: string;
}

export interface Round {
  number: number;
  deadline: string;
  startedEventId: string;
  commitments: RoundCommitment[];
  signers: { userId: string; identifier: string }[] | null;
  shares: Record<string, string>;
}

export interface TransactionState {
  exists: boolean;
  txId: string;
  vaultId: string;
  proposedBy: string;
  chain: Chain;
  destination: string;
  amount: string;
  memo: string | null;
  message: string;
  status: TransactionStatus;
  statusReason: string | null;
  round: Round | null;
  /** Guardians whose signature shares were refused: left out of later rounds. */
  excluded: string[];
  rejectedShares: { userId: string; round: number }[];
  signature: string | null;
  signers: { userId: string; identifier: string }[] | null;
  proposedAt: string;
  version: number;
}

export const transactionStream = (txId: string) => `custodytx-${txId}`;

export const transactionEvolver: Evolver<TransactionState> = {
  initialState: () => ({
    exists: false,
    txId: "",
    vaultId: "",
    proposedBy: "",
    chain: "bitcoin",
    destination: "",
    amount: "",
    memo: null,
    message: "",
    status: "proposed",
    statusReason: null,
    round: null,
    excluded: [],
    rejectedShares: [],
    signature: null,
    signers: null,
    proposedAt: "",
    version: 0,
  }),
  evolve(s, e: StoredEvent) {
    // biome-ignore lint/suspicious/noExplicitAny: the catalogue validated the data on append.
    const d = e.data as any;
    const next: TransactionState = { ...s, version: e.streamVersion };
    switch (e.type) {
      case "TransactionProposed":
        return {
          ...next,
          exists: true,
          txId: d.txId,
          vaultId: d.vaultId,
          proposedBy: d.userId,
          chain: d.chain,
          destination: d.destination,
          amount: d.amount,
          memo: d.memo,
          message: d.message,
          proposedAt: e.recordedAt.toISOString(),
        };
      case "SigningRoundStarted":
        return {
          ...next,
          status: "collecting_commitments",
          excluded: d.excluded,
          round: {
            number: d.round,
            deadline: d.deadline,
            startedEventId: e.eventId,
            commitments: [],
            signers: null,
            shares: {},
          },
        };
      case "NonceCommitmentSubmitted":
        if (!s.round) return next;
        return {
          ...next,
          round: {
            ...s.round,
            commitments: [
              ...s.round.commitments,
              { userId: d.userId, identifier: d.identifier, hiding: d.hiding, binding: d.binding },
            ],
          },
        };
      case "SigningPackageIssued":
        if (!s.round) return next;
        return { ...next, status: "signing", round: { ...s.round, signers: d.signers } };
      case "SignatureShareAccepted":
        if (!s.round) return next;
        return { ...next, round: { ...s.round, shares: { ...s.round.shares, [d.userId]: d.share } } };
      case "SignatureShareRejected":
        return {
          ...next,
          excluded: [...new Set([...s.excluded, d.userId])],
          rejectedShares: [...s.rejectedShares, { userId: d.userId, round: d.round }],
        };
      case "TransactionSigned":
        return { ...next, status: "signed", signature: d.signature, signers: d.signers };
      case "TransactionFailed":
        return { ...next, status: "failed", statusReason: d.reason };
      case "TransactionCancelled":
        return { ...next, status: "cancelled", statusReason: d.reason };
      case "TransactionExpired":
        return { ...next, status: "expired", statusReason: d.reason };
      default:
        return next;
    }
  },
};

export function requireTransaction(t: TransactionState): TransactionState {
  if (!t.exists) throw new AppError("not_found", "No such transaction");
  return t;
}

export function requireTxStatus(t: TransactionState, ...allowed: TransactionStatus[]): Round {
  if (!allowed.includes(t.status) || !t.round) {
    throw new AppError(
      "transaction_state",
      `The transaction is ${t.status}; this needs it ${allowed.join(" or ")}`,
      {
        ext: { transactionStatus: t.status, round: t.round?.number ?? null },
      },
    );
  }
  return t.round;
}
