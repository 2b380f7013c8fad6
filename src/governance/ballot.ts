/**
 * What a voter signs. Ethereum: EIP-712 typed data, domain `Vigil Governance`
 * version 1 with the configured chain id, primary type
 * `Vote(string proposalId,string choice,address voter,uint256 signedAt,string reason)`;
 * the JSON is exactly what `eth_signTypedData_v4` takes. Solana: a canonical
 * text of the same fields, signed with ed25519. The same functions build the
 * ballot a client fetches, check a vote, and re-check it offline (the CLI).
 */
import { type TypedData, typedDataDigest } from "./crypto/eip712.ts";
import { recoverAddress } from "./crypto/ethereum.ts";
import type { WalletChain } from "./crypto/siwe.ts";
import { verifySolana } from "./crypto/solana.ts";

export const VOTE_DOMAIN_NAME = "Vigil Governance";
export const VOTE_DOMAIN_VERSION = "1";

export interface VoteFields {
  proposalId: string;
  choice: string;
  /** The wallet address (EIP-55 checksummed for Ethereum, base58 for Solana). */
  voter: string;
  /** Unix seconds. */
  signedAt: number;
  /** Empty when the voter gave none. */
  reason: string;
}

export const VOTE_TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
    { name: "chainId", type: "uint256" },
  ],
  Vote: [
    { name: "proposalId", type: "string" },
    { name: "choice", type: "string" },
    { name: "voter", type: "address" },
    { name: "signedAt", type: "uint256" },
    { name: "reason", type: "string" },
  ],
} as const;

export function voteTypedData(chainId: number, v: VoteFields): TypedData {
  return {
    types: VOTE_TYPES,
    primaryType: "Vote",
    domain: { name: VOTE_DOMAIN_NAME, version: VOTE_DOMAIN_VERSION, chainId },
    message: {
      proposalId: v.proposalId,
      choice: v.choice,
      voter: v.voter,
      signedAt: v.signedAt,
      reason: v.reason,
    },
  };
}

/** One field per line; choices and reasons cannot hold line breaks (validation refuses control characters). */
export function solanaVoteText(cluster: string, v: VoteFields): string {
  return [
    `${VOTE_DOMAIN_NAME} vote`,
    `Version: ${VOTE_DOMAIN_VERSION}`,
    `Chain ID: ${cluster}`,
    `Proposal: ${v.proposalId}`,
    `Choice: ${v.choice}`,
    `Voter: ${v.voter}`,
    `Signed At: ${v.signedAt}`,
    `Reason: ${v.reason}`,
  ].join("\n");
}

/** `chainId`: the EIP-712 chain id (Ethereum) or the cluster name (Solana), as recorded with the vote. */
export function verifyVote(chain: WalletChain, chainId: string, v: VoteFields, signature: string): boolean {
  if (chain === "solana") return verifySolana(solanaVoteText(chainId, v), signature, v.voter);
  if (!/^\d{1,16}$/.test(chainId)) return false;
  const digest = typedDataDigest(voteTypedData(Number(chainId), v));
  return recoverAddress(digest, signature) === v.voter;
}
