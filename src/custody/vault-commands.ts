/**
 * Vault commands: create, invite, redeem, remove a guardian, import a public
 * key package, freeze, unfreeze, archive. Each is an event on `vault-<uuid>`
 * with the caller as actor (the metadata); admins only, except redeeming.
 */
import { uuidv7 } from "../../events/ids.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import { assertVaultAccess } from "../access/vaults.ts";
import { grantRole } from "../admin/commands.ts";
import { sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { type Caller, type CustodyDeps, loadVault, onTransaction, onVault } from "./context.ts";
import { checkPublicPackage } from "./coordinator.ts";
import { fromHex } from "./hex.ts";
import type { CreateVault, Invite, PublicPackageInput, Redeem } from "./schemas.ts";
import { suiteOf } from "./suites.ts";
import { TERMINAL } from "./transaction.ts";
import { activeGuardians, type PublicPackage, requireStatus, type VaultState, vaultStream } from "./vault.ts";

export async function createVault(deps: CustodyDeps, _auth: Caller, body: CreateVault, meta: EventMetadata) {
  const vaultId = crypto.randomUUID();
  await deps.store.append(
    vaultStream(vaultId),
    "no_stream",
    [{ type: "VaultCreated", data: { vaultId, ...body } }],
    meta,
  );
  return loadVault(deps, vaultId);
}

/**
 * The invitation code is derived from the GuardianInvited event's id with the
 * link key (src/crypto/link-tokens.ts): the event stores only its hash, and the
 * email job derives it again to send it. Nobody else ever holds it.
 */
export async function inviteGuardian(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  body: Invite,
  meta: EventMetadata,
): Promise<{ invitationId: string; expiresAt: string }> {
  await assertVaultAccess(deps.db, auth, vaultId);
  const eventId = uuidv7();
  const invitationId = crypto.randomUUID();
  const code = await deps.auth.links.derive("custody_invitation", eventId);
  const expiresAt = new Date(
    deps.clock.now().getTime() + deps.config.custody.invitationTtlSeconds * 1000,
  ).toISOString();
  const codeHash = sha256Hex(code);
  await onVault(
    deps,
    vaultId,
    (v) => {
      requireStatus(v, "pending_keygen");
      if (activeGuardians(v).length >= v.size)
        throw new AppError("vault_full", "The vault has all its guardians");
      return [
        {
          type: "GuardianInvited",
          eventId,
          data: { vaultId, invitationId, email: body.email.toLowerCase(), codeHash, expiresAt },
        },
      ];
    },
    meta,
  );
  return { invitationId, expiresAt };
}

export async function redeemInvitation(deps: CustodyDeps, auth: Caller, body: Redeem, meta: EventMetadata) {
  const codeHash = sha256Hex(body.code);
  const rows = await deps.db.query<{ vault_id: string; invitation_id: string }>(
    "SELECT vault_id, invitation_id FROM custody_invitations WHERE code_hash = $1",
    [codeHash],
  );
  const invalid = () => new AppError("invitation_invalid", "The invitation code is invalid, used or expired");
  const row = rows[0];
  if (!row) throw invalid();
  const transportKey = fromHex(body.transportPublicKey);
  if (transportKey.length !== 32) {
    throw new AppError("invalid_length", "transportPublicKey must be 32 bytes", {
      errors: [{ path: "body.transportPublicKey", message: "must be 32 bytes (64 hex digits)" }],
    });
  }
  if (transportKey.every((b) => b === 0)) {
    throw new AppError("invalid_point", "transportPublicKey is the zero key", {
      errors: [{ path: "body.transportPublicKey", message: "is the all-zero X25519 key" }],
    });
  }
  const vault = await onVault(
    deps,
    row.vault_id,
    (v) => {
      const inv = v.invitations[row.invitation_id];
      if (!inv || inv.redeemedBy || new Date(inv.expiresAt).getTime() <= deps.clock.now().getTime())
        throw invalid();
      requireStatus(v, "pending_keygen");
      if (activeGuardians(v).some((g) => g.userId === auth.userId)) {
        throw new AppError("already_guardian", "You already guard this vault");
      }
      if (activeGuardians(v).length >= v.size)
        throw new AppError("vault_full", "The vault has all its guardians");
      const identifier = suiteOf(v.ciphersuite).frost.Identifier.fromNumber(v.nextIdentifier);
      return [
        {
          type: "GuardianJoined",
          data: {
            vaultId: v.vaultId,
            invitationId: inv.invitationId,
            userId: auth.userId,
            identifier,
            transportPublicKey: body.transportPublicKey.toLowerCase(),
          },
        },
      ];
    },
    meta,
  );
  // Guardians hold the `guardian` role (custody:read and the guardian threat rules key on it).
  if (!auth.roles.includes("guardian")) {
    await grantRole(deps, auth.userId, "guardian", `joined custody vault ${vault.vaultId}`, meta);
  }
  return vault;
}

export async function removeGuardian(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  userId: string,
  reason: string,
  meta: EventMetadata,
) {
  await assertVaultAccess(deps.db, auth, vaultId);
  return onVault(
    deps,
    vaultId,
    (v) => {
      requireStatus(v, "pending_keygen", "active", "frozen");
      if (!activeGuardians(v).some((g) => g.userId === userId)) {
        throw new AppError("not_found", "No such guardian in this vault");
      }
      return [{ type: "GuardianRemoved", data: { vaultId, userId, reason } }];
    },
    meta,
  );
}

/** The key a DKG or an import establishes, once validated against the vault's guardians. */
export function keyEstablished(v: VaultState, pkg: PublicPackage, method: "dkg" | "import"): NewEvent {
  const guardians = activeGuardians(v);
  return {
    type: "VaultKeyEstablished",
    data: {
      vaultId: v.vaultId,
      method,
      groupPublicKey: pkg.commitments[0],
      commitments: pkg.commitments,
      verifyingShares: pkg.verifyingShares,
      signers: guardians.map((g) => ({ userId: g.userId, identifier: g.identifier })),
    },
  };
}

export const normalizePackage = (p: PublicPackageInput): PublicPackage => ({
  commitments: p.commitments.map((c) => c.toLowerCase()),
  verifyingShares: Object.fromEntries(
    Object.entries(p.verifyingShares).map(([id, s]) => [id.toLowerCase(), s.toLowerCase()]),
  ),
});

/** Needs all `n` guardians joined: the package must hold one verifying share for each of them. */
export async function importKey(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  body: PublicPackageInput,
  meta: EventMetadata,
) {
  await assertVaultAccess(deps.db, auth, vaultId);
  const pkg = normalizePackage(body);
  return onVault(
    deps,
    vaultId,
    (v) => {
      requireStatus(v, "pending_keygen");
      const guardians = activeGuardians(v);
      if (guardians.length !== v.size) {
        throw new AppError("vault_state", `The vault has ${guardians.length} of its ${v.size} guardians`);
      }
      checkPublicPackage(
        suiteOf(v.ciphersuite),
        pkg,
        guardians.map((g) => g.identifier),
        v.threshold,
      );
      return [keyEstablished(v, pkg, "import")];
    },
    meta,
  );
}

type Lifecycle = "freeze" | "unfreeze" | "archive";

const LIFECYCLE = {
  freeze: { from: ["active"], type: "VaultFrozen" },
  unfreeze: { from: ["frozen"], type: "VaultUnfrozen" },
  archive: { from: ["active", "frozen"], type: "VaultArchived" },
} as const;

/** Freezing or archiving expires the vault's open transactions: a frozen vault signs nothing. */
export async function changeVaultStatus(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  action: Lifecycle,
  reason: string,
  meta: EventMetadata,
) {
  await assertVaultAccess(deps.db, auth, vaultId);
  const rule = LIFECYCLE[action];
  const vault = await onVault(
    deps,
    vaultId,
    (v) => {
      requireStatus(v, ...rule.from);
      return [{ type: rule.type, data: { vaultId, reason } }];
    },
    meta,
  );
  if (action !== "unfreeze") {
    const open = await deps.db.query<{ tx_id: string }>(
      `SELECT tx_id FROM custody_transactions WHERE vault_id = $1 AND status <> ALL($2::text[])`,
      [vaultId, `{${TERMINAL.join(",")}}`],
    );
    const why = action === "freeze" ? "vault_frozen" : "vault_archived";
    for (const { tx_id } of open) {
      await onTransaction(
        deps,
        tx_id,
        (t) =>
          TERMINAL.includes(t.status)
            ? []
            : [{ type: "TransactionExpired", data: { txId: tx_id, vaultId, reason: why } }],
        meta,
      );
    }
  }
  return vault;
}
