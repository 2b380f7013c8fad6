/**
 * Inline projection of custody: the tables access checks and lookups need at
 * once (db/schema.ts describes them). Vault and transaction details are folded
 * from their own streams; these rows are indexes into them. `custody_commitments`
 * is inline so its primary key refuses a reused nonce commitment inside the
 * append's transaction, even when two submissions race.
 */
import type { Projection } from "./types.ts";

const VAULT_STATUS: Record<string, string> = {
  VaultKeyEstablished: "active",
  VaultFrozen: "frozen",
  VaultUnfrozen: "active",
  VaultArchived: "archived",
};

const TX_STATUS: Record<string, string> = {
  SigningRoundStarted: "collecting_commitments",
  SigningPackageIssued: "signing",
  TransactionSigned: "signed",
  TransactionFailed: "failed",
  TransactionCancelled: "cancelled",
  TransactionExpired: "expired",
};

export const custodyProjection: Projection = {
  name: "custody",
  mode: "inline",
  eventTypes: [
    "VaultCreated",
    "GuardianInvited",
    "GuardianJoined",
    "GuardianRemoved",
    "VaultKeyEstablished",
    "VaultFrozen",
    "VaultUnfrozen",
    "VaultArchived",
    "TransactionProposed",
    "NonceCommitmentSubmitted",
    ...Object.keys(TX_STATUS),
  ],
  tables: [
    "custody_vaults",
    "custody_guardians",
    "custody_invitations",
    "custody_commitments",
    "custody_transactions",
  ],
  async apply(sql, e) {
    // biome-ignore lint/suspicious/noExplicitAny: the catalogue validated the data on append.
    const d = e.data as any;
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case "VaultCreated":
        await sql.query(
          `INSERT INTO custody_vaults (vault_id, name, ciphersuite, threshold, participants, status, created_at, version)
           VALUES ($1, $2, $3, $4, $5, 'pending_keygen', $6, $7)`,
          [d.vaultId, d.name, d.ciphersuite, d.threshold, d.participants, at, e.streamVersion],
        );
        return;
      case "GuardianInvited":
        await sql.query(
          "INSERT INTO custody_invitations (invitation_id, vault_id, code_hash, expires_at) VALUES ($1, $2, $3, $4)",
          [d.invitationId, d.vaultId, d.codeHash, d.expiresAt],
        );
        return;
      case "GuardianJoined":
        await sql.query(
          `INSERT INTO custody_guardians (vault_id, user_id, identifier, joined_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (vault_id, user_id) DO UPDATE SET identifier = $3, joined_at = $4, removed_at = NULL`,
          [d.vaultId, d.userId, d.identifier, at],
        );
        await sql.query(
          "UPDATE custody_invitations SET redeemed_by = $2, redeemed_at = $3 WHERE invitation_id = $1",
          [d.invitationId, d.userId, at],
        );
        return;
      case "GuardianRemoved":
        await sql.query("UPDATE custody_guardians SET removed_at = $3 WHERE vault_id = $1 AND user_id = $2", [
          d.vaultId,
          d.userId,
          at,
        ]);
        return;
      case "TransactionProposed":
        await sql.query(
          `INSERT INTO custody_transactions (tx_id, vault_id, status, round, proposed_by, proposed_at, version)
           VALUES ($1, $2, 'proposed', 0, $3, $4, $5)`,
          [d.txId, d.vaultId, d.userId, at, e.streamVersion],
        );
        return;
      case "NonceCommitmentSubmitted":
        // Two rows: a hiding commitment later offered as a binding one is a reuse too.
        await sql.query(
          `INSERT INTO custody_commitments (commitment, tx_id, round, user_id, seen_at)
           VALUES ($1, $3, $4, $5, $6), ($2, $3, $4, $5, $6)`,
          [d.hiding, d.binding, d.txId, d.round, d.userId, at],
        );
        return;
    }
    if (VAULT_STATUS[e.type]) {
      await sql.query(
        `UPDATE custody_vaults SET status = $2, status_reason = $3, version = $4,
                group_public_key = coalesce($5, group_public_key), key_method = coalesce($6, key_method)
         WHERE vault_id = $1`,
        [
          d.vaultId,
          VAULT_STATUS[e.type],
          d.reason ?? null,
          e.streamVersion,
          d.groupPublicKey ?? null,
          d.method ?? null,
        ],
      );
      return;
    }
    if (TX_STATUS[e.type]) {
      await sql.query(
        "UPDATE custody_transactions SET status = $2, round = coalesce($3, round), version = $4 WHERE tx_id = $1",
        [d.txId, TX_STATUS[e.type], e.type === "SigningRoundStarted" ? d.round : null, e.streamVersion],
      );
    }
  },
};
