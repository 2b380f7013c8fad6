/**
 * Transactions and their signing rounds. Proposing opens round 1 at once.
 * A round collects nonce commitments from eligible guardians until `t` are in,
 * fixes that signer set and issues the signing package; then each signer's
 * share is verified on arrival (RFC 9591 section 5.4). The last valid share
 * completes the signature, which must pass the plain verifier before
 * TransactionSigned is recorded. A refused share excludes its sender and
 * starts the next round when enough guardians remain.
 */

import { pgCode } from "../../db/client.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import { assertVaultAccess } from "../access/vaults.ts";
import { AppError } from "../http/errors.ts";
import { canonicalAddress, canonicalAmount } from "./addresses.ts";
import {
  type Caller,
  type CustodyDeps,
  loadTransaction,
  loadVault,
  onTransaction,
  visibleTransaction,
} from "./context.ts";
import { aggregate, frostPublic, verifyShare } from "./coordinator.ts";
import { fromHex, toHex } from "./hex.ts";
import { transactionMessage } from "./message.ts";
import type { CommitmentInput, Propose, ShareInput } from "./schemas.ts";
import { checkScalar, suiteOf } from "./suites.ts";
import { requireTxStatus, TERMINAL, type TransactionState, transactionStream } from "./transaction.ts";
import { activeGuardians, requireGuardian, requireStatus, requireVault, type VaultState } from "./vault.ts";

/** Guardians who may commit in a new round: current, holding a verifying share, never caught cheating. */
export function eligibleSigners(v: VaultState, excluded: readonly string[]) {
  const shares = v.key?.verifyingShares ?? {};
  return activeGuardians(v).filter((g) => shares[g.identifier] && !excluded.includes(g.userId));
}

function startRound(
  deps: CustodyDeps,
  t: Pick<TransactionState, "txId" | "vaultId">,
  round: number,
  excluded: string[],
): NewEvent {
  const deadline = new Date(deps.clock.now().getTime() + deps.config.custody.roundTimeoutMs).toISOString();
  return {
    type: "SigningRoundStarted",
    data: { txId: t.txId, vaultId: t.vaultId, round, deadline, excluded },
  };
}

/** The round after `round`, or the end: too few honest guardians, or no attempts left. */
export function nextRoundOrFail(
  deps: CustodyDeps,
  v: VaultState,
  t: TransactionState,
  round: number,
  excluded: string[],
): NewEvent {
  const ids = { txId: t.txId, vaultId: t.vaultId };
  if (eligibleSigners(v, excluded).length < v.threshold) {
    return { type: "TransactionFailed", data: { ...ids, reason: "not_enough_guardians" } };
  }
  if (round >= deps.config.custody.maxRoundAttempts) {
    return { type: "TransactionFailed", data: { ...ids, reason: "max_attempts" } };
  }
  return startRound(deps, t, round + 1, excluded);
}

export async function proposeTransaction(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  body: Propose,
  meta: EventMetadata,
): Promise<TransactionState> {
  await assertVaultAccess(deps.db, auth, vaultId);
  const v = requireVault(await loadVault(deps, vaultId));
  requireGuardian(v, auth.userId);
  requireStatus(v, "active");
  if (eligibleSigners(v, []).length < v.threshold) {
    throw new AppError(
      "vault_state",
      `Fewer than ${v.threshold} guardians holding key shares remain: the vault cannot sign`,
    );
  }
  const destination = canonicalAddress(body.chain, body.destination);
  const amount = canonicalAmount(body.chain, body.amount);
  const memo = body.memo === undefined || body.memo === "" ? null : body.memo;
  const txId = crypto.randomUUID();
  const message = toHex(
    transactionMessage({ vaultId: v.vaultId, txId, chain: body.chain, destination, amount, memo }),
  );
  await deps.store.append(
    transactionStream(txId),
    "no_stream",
    [
      {
        type: "TransactionProposed",
        data: {
          txId,
          vaultId: v.vaultId,
          userId: auth.userId,
          chain: body.chain,
          destination,
          amount,
          memo,
          message,
        },
      },
      startRound(deps, { txId, vaultId: v.vaultId }, 1, []),
    ],
    meta,
  );
  const state = await loadTransaction(deps, txId);
  return state;
}

async function seenBefore(deps: CustodyDeps, commitments: string[]): Promise<string | undefined> {
  const rows = await deps.db.query<{ commitment: string }>(
    "SELECT commitment FROM custody_commitments WHERE commitment = ANY($1::text[])",
    [`{${commitments.join(",")}}`],
  );
  return rows[0]?.commitment;
}

/**
 * A commitment seen before in any round (the `custody_commitments` table, whose
 * primary key also catches a race) is refused and the refusal recorded.
 */
export async function submitCommitment(
  deps: CustodyDeps,
  auth: Caller,
  txId: string,
  body: CommitmentInput,
  meta: EventMetadata,
): Promise<TransactionState> {
  const { tx, vault } = await visibleTransaction(deps, auth, txId);
  const suite = suiteOf(vault.ciphersuite);
  const hiding = body.hiding.toLowerCase();
  const binding = body.binding.toLowerCase();
  suite.checkPoint(fromHex(hiding), "body.hiding");
  suite.checkPoint(fromHex(binding), "body.binding");
  if (hiding === binding)
    throw new AppError("commitment_reused", "hiding and binding commitments must differ");
  for (let attempt = 0; ; attempt++) {
    const reused = await seenBefore(deps, [hiding, binding]);
    let refused = false;
    try {
      const r = await onTransaction(
        deps,
        tx.txId,
        (t) => {
          const round = requireTxStatus(t, "collecting_commitments");
          requireStatus(vault, "active");
          const g = requireGuardian(vault, auth.userId);
          if (!eligibleSigners(vault, t.excluded).some((e) => e.userId === g.userId)) {
            throw new AppError(
              "not_a_signer",
              "You may not sign this transaction (a share of yours was refused)",
            );
          }
          if (round.commitments.some((c) => c.userId === g.userId)) {
            throw new AppError("already_submitted", "Your commitment for this round is already in");
          }
          const ids = {
            txId: t.txId,
            vaultId: t.vaultId,
            round: round.number,
            userId: g.userId,
            identifier: g.identifier,
          };
          if (reused) {
            refused = true;
            return [{ type: "NonceCommitmentRefused", data: { ...ids, commitment: reused } }];
          }
          const events: NewEvent[] = [
            { type: "NonceCommitmentSubmitted", data: { ...ids, hiding, binding } },
          ];
          const all = [...round.commitments, { userId: g.userId, identifier: g.identifier }];
          if (all.length >= vault.threshold) {
            events.push({
              type: "SigningPackageIssued",
              data: {
                txId: t.txId,
                vaultId: t.vaultId,
                round: round.number,
                signers: all.map((c) => ({ userId: c.userId, identifier: c.identifier })),
              },
            });
          }
          return events;
        },
        meta,
      );
      if (refused) {
        throw new AppError(
          "commitment_reused",
          "This nonce commitment was seen before; generate fresh nonces",
        );
      }
      return r.state;
    } catch (err) {
      // The primary key caught a reuse that raced the check: go round again, which records the refusal.
      if (pgCode(err) === "23505" && attempt < 2) continue;
      throw err;
    }
  }
}

export async function submitShare(
  deps: CustodyDeps,
  auth: Caller,
  txId: string,
  body: ShareInput,
  meta: EventMetadata,
): Promise<TransactionState> {
  const { tx, vault } = await visibleTransaction(deps, auth, txId);
  const suite = suiteOf(vault.ciphersuite);
  const share = body.share.toLowerCase();
  checkScalar(suite, fromHex(share), "body.share");
  let rejected = false;
  const { state } = await onTransaction(
    deps,
    tx.txId,
    (t) => {
      const round = requireTxStatus(t, "signing");
      requireStatus(vault, "active");
      const g = requireGuardian(vault, auth.userId);
      if (!round.signers?.some((s) => s.userId === g.userId)) {
        throw new AppError("not_a_signer", "You are not in this round's signer set");
      }
      if (round.shares[g.userId])
        throw new AppError("already_submitted", "Your share for this round is already in");
      const key = vault.key!;
      const pub = frostPublic(key, vault.threshold, vault.size);
      const message = fromHex(t.message);
      const ids = {
        txId: t.txId,
        vaultId: t.vaultId,
        round: round.number,
        userId: g.userId,
        identifier: g.identifier,
      };
      if (!verifyShare(suite, pub, round.commitments, message, g.identifier, share)) {
        rejected = true;
        const excluded = [...new Set([...t.excluded, g.userId])];
        return [
          { type: "SignatureShareRejected", data: { ...ids, share } },
          nextRoundOrFail(deps, vault, t, round.number, excluded),
        ];
      }
      const events: NewEvent[] = [{ type: "SignatureShareAccepted", data: { ...ids, share } }];
      const shares = { ...round.shares, [g.userId]: share };
      if (Object.keys(shares).length === round.signers.length) {
        const byId = Object.fromEntries(round.signers.map((s) => [s.identifier, shares[s.userId]!]));
        const signature = aggregate(suite, pub, round.commitments, message, byId);
        events.push({
          type: "TransactionSigned",
          data: { txId: t.txId, vaultId: t.vaultId, round: round.number, signature, signers: round.signers },
        });
      }
      return events;
    },
    meta,
  );
  if (rejected) {
    throw new AppError(
      "invalid_signature_share",
      "The signature share does not verify; it was recorded against you",
      {
        ext: { transactionStatus: state.status, round: state.round?.number ?? null },
      },
    );
  }
  return state;
}

export async function cancelTransaction(
  deps: CustodyDeps,
  auth: Caller,
  txId: string,
  reason: string,
  meta: EventMetadata,
): Promise<TransactionState> {
  const { tx, vault } = await visibleTransaction(deps, auth, txId);
  const isAdmin = auth.roles.includes("admin");
  if (!isAdmin && tx.proposedBy !== auth.userId) {
    requireGuardian(vault, auth.userId);
    throw new AppError("forbidden", "Only the proposer or an admin may cancel a transaction");
  }
  const { state } = await onTransaction(
    deps,
    tx.txId,
    (t) => {
      if (TERMINAL.includes(t.status)) {
        throw new AppError("transaction_state", `The transaction is already ${t.status}`);
      }
      return [{ type: "TransactionCancelled", data: { txId: t.txId, vaultId: t.vaultId, reason } }];
    },
    meta,
  );
  return state;
}
