/**
 * Inline projection `mfa` (`mfa_factors`, `mfa_challenges`): what the MFA
 * commands decide on, all from the `mfa-<user>` stream. Deterministic in the
 * event (recordedAt, never now()). The TOTP secret is not here: it is in
 * `totp_secrets`, written by the commands, never in the log (see events/catalog/mfa.ts).
 */

import type { Sql } from "../db/client.ts";
import type { EventOf } from "../events/catalog/index.ts";
import type {
  BackupCodesGenerated,
  MfaChallengeIssued,
  MfaVerificationSucceeded,
  TotpEnabled,
} from "../events/catalog/mfa.ts";
import type { StoredEvent } from "../events/types.ts";
import type { Projection } from "./types.ts";

export const MFA_STREAM_EVENTS = [
  "TotpEnabled",
  "TotpDisabled",
  "BackupCodesGenerated",
  "MfaChallengeIssued",
  "MfaVerificationSucceeded",
  "MfaVerificationFailed",
] as const;

/** Failures remembered: the limit is 5 per window, so the 5 latest decide. */
export const MFA_FAILURES_KEPT = 5;

const userOf = (e: StoredEvent) => e.streamId.slice("mfa-".length);

/** Creates the row on the stream's first event; every event moves `version`. */
async function ensureRow(sql: Sql, userId: string, e: StoredEvent): Promise<void> {
  await sql.query(
    `INSERT INTO mfa_factors (user_id, totp_enabled, enabled_at, secret_key_id, last_time_step, backup_salt,
                              backup_hashes, recent_failures, version)
     VALUES ($1, false, NULL, NULL, NULL, NULL, '[]'::jsonb, '[]'::jsonb, $2)
     ON CONFLICT (user_id) DO UPDATE SET version = EXCLUDED.version`,
    [userId, e.streamVersion],
  );
}

export const mfaProjection: Projection = {
  name: "mfa",
  mode: "inline",
  eventTypes: MFA_STREAM_EVENTS,
  tables: ["mfa_factors", "mfa_challenges"],
  async apply(sql, e) {
    if (!e.streamId.startsWith("mfa-")) return;
    const userId = userOf(e);
    const at = e.recordedAt.toISOString();
    await ensureRow(sql, userId, e);
    switch (e.type) {
      case "TotpEnabled": {
        const d = e.data as EventOf<typeof TotpEnabled>["data"];
        await sql.query(
          `UPDATE mfa_factors SET totp_enabled = true, enabled_at = $2, secret_key_id = $3,
                  last_time_step = greatest(coalesce(last_time_step, 0), $4)
           WHERE user_id = $1`,
          [userId, at, d.keyId, d.timeStep],
        );
        return;
      }
      case "TotpDisabled":
        await sql.query(
          `UPDATE mfa_factors SET totp_enabled = false, enabled_at = NULL, secret_key_id = NULL,
                  backup_salt = NULL, backup_hashes = '[]'::jsonb
           WHERE user_id = $1`,
          [userId],
        );
        return;
      case "BackupCodesGenerated": {
        const d = e.data as EventOf<typeof BackupCodesGenerated>["data"];
        await sql.query(
          "UPDATE mfa_factors SET backup_salt = $2, backup_hashes = $3::text::jsonb WHERE user_id = $1",
          [userId, d.salt, JSON.stringify(d.hashes)],
        );
        return;
      }
      case "MfaChallengeIssued": {
        const d = e.data as EventOf<typeof MfaChallengeIssued>["data"];
        await sql.query(
          `INSERT INTO mfa_challenges (challenge_hash, user_id, device_trusted, expires_at, used_at)
           VALUES ($1, $2, $3, $4, NULL)`,
          [d.challengeHash, userId, d.deviceTrusted, d.expiresAt],
        );
        return;
      }
      case "MfaVerificationSucceeded": {
        const d = e.data as EventOf<typeof MfaVerificationSucceeded>["data"];
        if (d.timeStep !== null) {
          await sql.query(
            "UPDATE mfa_factors SET last_time_step = greatest(coalesce(last_time_step, 0), $2) WHERE user_id = $1",
            [userId, d.timeStep],
          );
        }
        if (d.codeIndex !== null) {
          await sql.query(
            "UPDATE mfa_factors SET backup_hashes = jsonb_set(backup_hashes, ARRAY[$2::text], 'null'::jsonb) WHERE user_id = $1",
            [userId, String(d.codeIndex)],
          );
        }
        if (d.challengeHash !== null) {
          await sql.query(
            "UPDATE mfa_challenges SET used_at = coalesce(used_at, $2) WHERE challenge_hash = $1",
            [d.challengeHash, at],
          );
        }
        return;
      }
      case "MfaVerificationFailed":
        // Keeps the latest MFA_FAILURES_KEPT failure times, oldest first.
        await sql.query(
          `UPDATE mfa_factors SET recent_failures = (
             SELECT coalesce(jsonb_agg(t ORDER BY t), '[]'::jsonb) FROM (
               SELECT t FROM jsonb_array_elements_text(recent_failures || jsonb_build_array($2::text)) AS t
               ORDER BY t DESC LIMIT ${MFA_FAILURES_KEPT}
             ) AS latest
           ) WHERE user_id = $1`,
          [userId, at],
        );
        return;
    }
  },
};
