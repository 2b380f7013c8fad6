/**
 * Linking wallets by signature. A challenge is an EIP-4361 message Vigil
 * writes (its nonce names the `walletnonce-<nonce>` stream); linking checks
 * that the exact same text comes back, unexpired, never presented before, and
 * signed by the address: EIP-191 personal_sign recovered with secp256k1 for
 * Ethereum, ed25519 for Solana. Every presentation of a challenge uses it up,
 * whatever the outcome; every refusal is a WalletLinkFailed event.
 */
import { pgCode, type Sql } from "../../db/client.ts";
import type { WALLET_LINK_FAILURES } from "../../events/catalog/governance.ts";
import { ConcurrencyError } from "../../events/errors.ts";
import type { Evolver } from "../../events/handle.ts";
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { randomBytes } from "../crypto/random.ts";
import { AppError, type ErrorCode } from "../http/errors.ts";
import { normalizeAddress, personalMessageHash, recoverAddress } from "./crypto/ethereum.ts";
import { formatSiwe, parseSiwe, type WalletChain } from "./crypto/siwe.ts";
import { encodeBase58, normalizeSolanaAddress, verifySolana } from "./crypto/solana.ts";
import { loadIn } from "./streams.ts";

export const STATEMENT = "Link this wallet to your Vigil account.";
export const nonceStream = (nonce: string) => `walletnonce-${nonce}`;
export const walletsStream = (userId: string) => `wallets-${userId}`;

type Failure = (typeof WALLET_LINK_FAILURES)[number];
const FAILURE_CODES: Record<Failure, ErrorCode> = {
  malformed_message: "malformed_message",
  unknown_challenge: "challenge_unknown",
  challenge_used: "challenge_used",
  challenge_expired: "challenge_expired",
  message_mismatch: "malformed_message",
  bad_signature: "signature_invalid",
  address_taken: "address_taken",
};

export function normalizeWallet(chain: WalletChain, address: string): string | undefined {
  return chain === "ethereum" ? normalizeAddress(address) : normalizeSolanaAddress(address);
}

export interface Wallet {
  walletId: string;
  userId: string;
  chain: WalletChain;
  address: string;
  linkedAt: string;
}

export async function walletsOf(sql: Sql, userId: string): Promise<Wallet[]> {
  const rows = await sql.query<{
    wallet_id: string;
    user_id: string;
    chain: WalletChain;
    address: string;
    linked_at: Date | string;
  }>(
    "SELECT wallet_id, user_id, chain, address, linked_at FROM wallets WHERE user_id = $1 ORDER BY linked_at, wallet_id",
    [userId],
  );
  return rows.map((r) => ({
    walletId: r.wallet_id,
    userId: r.user_id,
    chain: r.chain,
    address: r.address,
    linkedAt: new Date(r.linked_at).toISOString(),
  }));
}

export async function walletByAddress(sql: Sql, chain: WalletChain, address: string): Promise<Wallet | null> {
  const rows = await sql.query<{ wallet_id: string; user_id: string; linked_at: Date | string }>(
    "SELECT wallet_id, user_id, linked_at FROM wallets WHERE chain = $1 AND address = $2",
    [chain, address],
  );
  const r = rows[0];
  return r
    ? {
        walletId: r.wallet_id,
        userId: r.user_id,
        chain,
        address,
        linkedAt: new Date(r.linked_at).toISOString(),
      }
    : null;
}

export async function issueChallenge(
  deps: AppDeps,
  userId: string,
  chain: WalletChain,
  rawAddress: string,
  meta: EventMetadata,
): Promise<{ message: string; nonce: string; expiresAt: string }> {
  const address = normalizeWallet(chain, rawAddress);
  if (!address) {
    throw new AppError("validation_failed", "Not a valid address for this chain", {
      errors: [{ path: "address", message: `not a ${chain} address` }],
    });
  }
  const g = deps.config.governance;
  const now = deps.clock.now();
  // 128 random bits, base58: alphanumeric as EIP-4361 requires.
  const nonce = encodeBase58(randomBytes(16));
  const issuedAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + g.challengeTtlSeconds * 1000).toISOString();
  const message = formatSiwe({
    chain,
    domain: g.domain,
    address,
    statement: STATEMENT,
    uri: g.uri,
    version: "1",
    chainId: chain === "ethereum" ? String(g.chainId) : g.solanaCluster,
    nonce,
    issuedAt,
    expirationTime: expiresAt,
  });
  await deps.store.append(
    nonceStream(nonce),
    "no_stream",
    [
      {
        type: "WalletChallengeIssued",
        data: { nonce, userId, chain, address, message, issuedAt, expiresAt },
      },
    ],
    meta,
  );
  return { message, nonce, expiresAt };
}

interface Challenge {
  userId: string;
  chain: WalletChain;
  address: string;
  message: string;
  expiresAt: string;
  used: boolean;
}

const challengeEvolver: Evolver<Challenge | null> = {
  initialState: () => null,
  evolve(s, e) {
    if (e.type === "WalletChallengeIssued") return { ...(e.data as Challenge), used: false };
    if (e.type === "WalletChallengeUsed" && s) return { ...s, used: true };
    return s;
  },
};

function verifyLink(c: Challenge, signature: string): boolean {
  if (c.chain === "solana") return verifySolana(c.message, signature, c.address);
  return recoverAddress(personalMessageHash(c.message), signature) === c.address;
}

export async function linkWallet(
  deps: AppDeps,
  userId: string,
  message: string,
  signature: string,
  meta: EventMetadata,
): Promise<Wallet> {
  const nonce = parseSiwe(message)?.nonce;
  const refuse = async (reason: Failure, chain: WalletChain | null, consume: boolean): Promise<never> => {
    await deps.db
      .transaction(async (tx) => {
        if (consume && nonce) {
          await deps.store.appendIn(
            tx,
            nonceStream(nonce),
            1,
            [{ type: "WalletChallengeUsed", data: { nonce, userId, linked: false } }],
            meta,
          );
        }
        await deps.store.appendIn(
          tx,
          walletsStream(userId),
          "any",
          [{ type: "WalletLinkFailed", data: { userId, chain, reason, nonce: nonce ?? null } }],
          meta,
        );
      })
      .catch(async (err) => {
        // Someone presented the challenge at the same moment: it is used either way.
        if (!(err instanceof ConcurrencyError)) throw err;
        await refuse("challenge_used", chain, false);
      });
    throw new AppError(FAILURE_CODES[reason], undefined, { ext: { reason } });
  };
  if (!nonce) return refuse("malformed_message", null, false);
  const { state: c } = await loadIn(deps.db, deps.store, nonceStream(nonce), challengeEvolver);
  // Another user's challenge is indistinguishable from none.
  if (!c || c.userId !== userId) return refuse("unknown_challenge", null, false);
  if (c.used) return refuse("challenge_used", c.chain, false);
  if (message !== c.message) return refuse("message_mismatch", c.chain, true);
  if (deps.clock.now() > new Date(c.expiresAt)) return refuse("challenge_expired", c.chain, true);
  if (!verifyLink(c, signature)) return refuse("bad_signature", c.chain, true);

  const walletId = uuidv7();
  try {
    await deps.db.transaction(async (tx) => {
      await deps.store.appendIn(
        tx,
        nonceStream(nonce),
        1,
        [{ type: "WalletChallengeUsed", data: { nonce, userId, linked: true } }],
        meta,
      );
      await deps.store.appendIn(
        tx,
        walletsStream(userId),
        "any",
        [{ type: "WalletLinked", data: { walletId, userId, chain: c.chain, address: c.address, nonce } }],
        meta,
      );
    });
  } catch (err) {
    if (err instanceof ConcurrencyError) return refuse("challenge_used", c.chain, false);
    if (pgCode(err) === "23505") return refuse("address_taken", c.chain, true);
    throw err;
  }
  return { walletId, userId, chain: c.chain, address: c.address, linkedAt: deps.clock.now().toISOString() };
}

export async function unlinkWallet(
  deps: AppDeps,
  userId: string,
  walletId: string,
  meta: EventMetadata,
): Promise<void> {
  const wallet = (await walletsOf(deps.db, userId)).find((w) => w.walletId === walletId);
  if (!wallet) throw new AppError("not_found", "No such wallet");
  await deps.store.append(
    walletsStream(userId),
    "any",
    [{ type: "WalletUnlinked", data: { walletId, userId, chain: wallet.chain, address: wallet.address } }],
    meta,
  );
}
