/**
 * What a voter signs. Ethereum: EIP-712 typed data, domain `Vigil Governance`
 * version 1 with the configured chain id, primary type
 * `Vote(string proposalId,string choice,address voter,uint256 signedAt,string reason)`;
 * the JSON is exactly what `eth_signTypedData_v4` takes. Solana: a canonical
 * text of the same fields, signed with ed25519. The same functions build the
 * ballot a client fetches, check a vote, and re-check it offline (the CLI).
 */
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { domainSeparator, type TypedData, typeHash } from "./crypto/eip712.ts";
import { fromHex, keccak, recoverAddress } from "./crypto/ethereum.ts";
import { memoize } from "./crypto/memo.ts";
import type { SignatureChecker } from "./crypto/signature-pool.ts";
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

const VOTE_TYPEHASH = typeHash("Vote", { Vote: VOTE_TYPES.Vote });
// Proposal ids and choices repeat across a proposal's votes (reasons rarely do; most are empty).
const keccakText = memoize((text: string) => keccak(utf8ToBytes(text)), 1024);
const EMPTY_TEXT_HASH = keccak(new Uint8Array(0));
const domainSeparators = new Map<number, Uint8Array>();

/**
 * The EIP-712 digest of a vote: `typedDataDigest(voteTypedData(chainId, v))`
 * (the tests hold them equal) without re-hashing what never changes per
 * vote: the type hash and the domain separator of each chain id are computed once.
 */
export function voteDigest(chainId: number, v: VoteFields): Uint8Array {
  let domain = domainSeparators.get(chainId);
  if (!domain) {
    domain = domainSeparator(voteTypedData(chainId, v).domain);
    if (domainSeparators.size < 16) domainSeparators.set(chainId, domain);
  }
  const message = keccak(
    concatBytes(
      VOTE_TYPEHASH,
      keccakText(v.proposalId),
      keccakText(v.choice),
      addressWord(v.voter),
      uintWord(v.signedAt),
      v.reason === "" ? EMPTY_TEXT_HASH : keccak(utf8ToBytes(v.reason)),
    ),
  );
  return keccak(concatBytes(new Uint8Array([0x19, 0x01]), domain, message));
}

function addressWord(address: string): Uint8Array {
  const b = fromHex(address);
  if (b?.length !== 20) throw new TypeError("address: expected 20 bytes");
  return concatBytes(new Uint8Array(12), b);
}

/** As eip712.ts encodes a uint256 given as a JS number: a safe integer, two's complement to 256 bits. */
function uintWord(n: number): Uint8Array {
  if (!Number.isSafeInteger(n)) throw new TypeError("uint256: expected an integer");
  const out = new Uint8Array(32);
  let v = BigInt.asUintN(256, BigInt(n));
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The message to check, in the form its chain verifies; undefined when the chain id cannot be one. */
function signedPayload(chain: WalletChain, chainId: string, v: VoteFields) {
  if (chain === "solana") return { text: solanaVoteText(chainId, v) };
  if (!/^\d{1,16}$/.test(chainId)) return undefined;
  return { digest: voteDigest(Number(chainId), v) };
}

/** `chainId`: the EIP-712 chain id (Ethereum) or the cluster name (Solana), as recorded with the vote. */
export function verifyVote(chain: WalletChain, chainId: string, v: VoteFields, signature: string): boolean {
  const p = signedPayload(chain, chainId, v);
  if (!p) return false;
  if (p.text !== undefined) return verifySolana(p.text, signature, v.voter);
  return recoverAddress(p.digest, signature) === v.voter;
}

/** `verifyVote` with the curve work handed to `checker` (the vote path passes the worker pool). */
export async function checkVote(
  checker: SignatureChecker,
  chain: WalletChain,
  chainId: string,
  v: VoteFields,
  signature: string,
): Promise<boolean> {
  const p = signedPayload(chain, chainId, v);
  if (!p) return false;
  if (p.text !== undefined) return checker.verifySolana(p.text, signature, v.voter);
  return (await checker.recoverAddress(p.digest, signature)) === v.voter;
}
