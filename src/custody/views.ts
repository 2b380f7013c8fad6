/** The JSON shapes custody answers with (REST responses and WebSocket replies alike). */
import { seesAllVaults } from "../access/vaults.ts";
import { type Caller, type CustodyDeps, loadVault, visibleTransaction, visibleVault } from "./context.ts";
import { suiteOf } from "./suites.ts";
import type { TransactionState } from "./transaction.ts";
import { activeGuardians, type VaultState } from "./vault.ts";

export function vaultView(v: VaultState) {
  return {
    id: v.vaultId,
    name: v.name,
    ciphersuite: v.ciphersuite,
    contextString: suiteOf(v.ciphersuite).contextString,
    threshold: v.threshold,
    participants: v.size,
    status: v.status,
    statusReason: v.statusReason,
    guardians: activeGuardians(v).map((g) => ({
      userId: g.userId,
      identifier: g.identifier,
      transportPublicKey: g.transportPublicKey,
      joinedAt: g.joinedAt,
    })),
    key: {
      status: v.key ? ("established" as const) : ("pending" as const),
      method: v.key?.method ?? null,
      groupPublicKey: v.key?.groupPublicKey ?? null,
      commitments: v.key?.commitments ?? null,
      verifyingShares: v.key?.verifyingShares ?? null,
    },
    createdAt: v.createdAt,
    version: v.version,
  };
}

export async function getVault(deps: CustodyDeps, auth: Caller, vaultId: string) {
  return vaultView(await visibleVault(deps, auth, vaultId));
}

/** Every vault for admins and viewers; a guardian's own otherwise. Newest first. */
export async function listVaults(deps: CustodyDeps, auth: Caller) {
  const rows = seesAllVaults(auth)
    ? await deps.db.query<{ vault_id: string }>(
        "SELECT vault_id FROM custody_vaults ORDER BY created_at DESC, vault_id LIMIT 500",
      )
    : await deps.db.query<{ vault_id: string }>(
        `SELECT v.vault_id FROM custody_vaults v JOIN custody_guardians g ON g.vault_id = v.vault_id
         WHERE g.user_id = $1 AND g.removed_at IS NULL ORDER BY v.created_at DESC, v.vault_id LIMIT 500`,
        [auth.userId],
      );
  const vaults = await Promise.all(rows.map((r) => loadVault(deps, r.vault_id)));
  return vaults.map(vaultView);
}

/**
 * The DKG transcript as the caller may see it: every round-1 package (they
 * are broadcast), only the round-2 ciphertexts addressed to the caller, and
 * who has reported a final package.
 */
export function dkgView(v: VaultState, userId: string) {
  const incoming = Object.entries(v.dkg.round2)
    .filter(([, to]) => to[userId])
    .map(([from, to]) => ({
      from,
      identifier: v.dkg.round1[from]?.identifier ?? null,
      ciphertext: to[userId]!,
    }));
  return {
    vaultId: v.vaultId,
    status: v.status,
    attempt: v.dkg.attempt,
    threshold: v.threshold,
    participants: v.size,
    guardians: activeGuardians(v).map((g) => ({
      userId: g.userId,
      identifier: g.identifier,
      transportPublicKey: g.transportPublicKey,
    })),
    round1: Object.entries(v.dkg.round1).map(([from, p]) => ({ userId: from, ...p })),
    round2: { submitted: Object.keys(v.dkg.round2), forYou: incoming },
    round3: { submitted: Object.keys(v.dkg.round3) },
    key: v.key ? { groupPublicKey: v.key.groupPublicKey, verifyingShares: v.key.verifyingShares } : null,
  };
}

export async function getDkg(deps: CustodyDeps, auth: Caller, vaultId: string) {
  return dkgView(await visibleVault(deps, auth, vaultId), auth.userId);
}

export function transactionView(t: TransactionState, v: VaultState) {
  const r = t.round;
  return {
    id: t.txId,
    vaultId: t.vaultId,
    ciphersuite: v.ciphersuite,
    groupPublicKey: v.key?.groupPublicKey ?? null,
    status: t.status,
    statusReason: t.statusReason,
    chain: t.chain,
    destination: t.destination,
    amount: t.amount,
    memo: t.memo,
    message: t.message,
    proposedBy: t.proposedBy,
    proposedAt: t.proposedAt,
    round: r
      ? {
          number: r.number,
          deadline: r.deadline,
          commitments: [...r.commitments].sort((a, b) => (a.identifier < b.identifier ? -1 : 1)),
          signers: r.signers,
          sharesReceived: Object.keys(r.shares),
        }
      : null,
    excluded: t.excluded,
    rejectedShares: t.rejectedShares,
    signature: t.signature,
    signers: t.signers,
    version: t.version,
  };
}

export async function getTransaction(deps: CustodyDeps, auth: Caller, txId: string) {
  const { tx, vault } = await visibleTransaction(deps, auth, txId);
  return transactionView(tx, vault);
}
