/**
 * The `totp_secrets` table: each user's TOTP secret, AES-256-GCM sealed by the
 * ENCRYPTION_KEY keyring with the user id as additional data (a sealed secret
 * copied onto another user's row does not decrypt). Not a projection and never
 * in the log: see events/catalog/mfa.ts.
 */
import type { Sql } from "../../db/client.ts";
import type { Keyring } from "../crypto/aead.ts";

const aad = (userId: string) => `totp-secret:${userId}`;

export async function sealSecret(keyring: Keyring, userId: string, secret: string): Promise<string> {
  return keyring.encrypt(secret, aad(userId));
}

export async function openSecret(keyring: Keyring, userId: string, sealed: string): Promise<string> {
  return keyring.decryptText(sealed, aad(userId));
}

export async function putPendingSecret(sql: Sql, userId: string, sealed: string, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO totp_secrets (user_id, pending_secret, pending_created_at, active_secret, updated_at)
     VALUES ($1, $2, $3, NULL, $3)
     ON CONFLICT (user_id) DO UPDATE SET pending_secret = $2, pending_created_at = $3, updated_at = $3`,
    [userId, sealed, now.toISOString()],
  );
}

export async function secretsOf(
  sql: Sql,
  userId: string,
): Promise<{ pending: string | null; pendingCreatedAt: Date | null; active: string | null } | null> {
  const [r] = await sql.query<{
    pending_secret: string | null;
    pending_created_at: Date | string | null;
    active_secret: string | null;
  }>(
    "SELECT pending_secret, pending_created_at, active_secret FROM totp_secrets WHERE user_id = $1 FOR UPDATE",
    [userId],
  );
  if (!r) return null;
  return {
    pending: r.pending_secret,
    pendingCreatedAt: r.pending_created_at === null ? null : new Date(r.pending_created_at),
    active: r.active_secret,
  };
}

export async function activatePending(sql: Sql, userId: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE totp_secrets SET active_secret = pending_secret, pending_secret = NULL, pending_created_at = NULL,
            updated_at = $2
     WHERE user_id = $1`,
    [userId, now.toISOString()],
  );
}

export async function deleteSecrets(sql: Sql, userId: string): Promise<void> {
  await sql.query("DELETE FROM totp_secrets WHERE user_id = $1", [userId]);
}

export interface RotationReport {
  rows: number;
  reencrypted: number;
  alreadyCurrent: number;
}

/**
 * Re-seals every stored TOTP secret (active and pending) under the keyring's
 * current key. Idempotent: a secret already under the current key is left alone.
 * One short transaction per row, so a long run never stalls the log's read fence.
 */
export async function rotateTotpSecrets(
  db: { transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> } & Sql,
  keyring: Keyring,
): Promise<RotationReport> {
  const ids = await db.query<{ user_id: string }>("SELECT user_id FROM totp_secrets ORDER BY user_id");
  const report: RotationReport = { rows: ids.length, reencrypted: 0, alreadyCurrent: 0 };
  for (const { user_id: userId } of ids) {
    await db.transaction(async (tx) => {
      const s = await secretsOf(tx, userId);
      if (!s) return;
      const reseal = async (sealed: string | null) =>
        sealed && keyring.needsReencrypt(sealed)
          ? sealSecret(keyring, userId, await openSecret(keyring, userId, sealed))
          : sealed;
      const pending = await reseal(s.pending);
      const active = await reseal(s.active);
      if (pending === s.pending && active === s.active) {
        report.alreadyCurrent++;
        return;
      }
      await tx.query("UPDATE totp_secrets SET pending_secret = $2, active_secret = $3 WHERE user_id = $1", [
        userId,
        pending,
        active,
      ]);
      report.reencrypted++;
    });
  }
  return report;
}
