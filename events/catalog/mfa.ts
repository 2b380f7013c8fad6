/**
 * Two-factor (TOTP): one stream `mfa-<user uuid>` per user. Facts only: never
 * the TOTP secret (it is AES-256-GCM sealed in the `totp_secrets` table, outside
 * the log; events name the key id that sealed it), never a code. Backup codes
 * appear as HMAC-SHA-256 under a random per-user salt; the codes carry 80
 * random bits, so the hashes are as safe in the log as refresh-token hashes.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

const userId = z.uuid();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest");
export const MFA_METHODS = ["totp", "backup_code"] as const;
export const MFA_PURPOSES = ["login", "enable", "disable", "regenerate"] as const;

export const TotpEnabled = defineEvent({
  type: "TotpEnabled",
  domain: "mfa",
  description:
    "TOTP (RFC 6238, SHA-1, 6 digits, 30 s) was confirmed with a code and is now required at login. `keyId` names the encryption key that seals the secret; `timeStep` is the confirming code's step (it cannot be used again).",
  version: 1,
  schema: z.object({ userId, keyId: z.string().min(1).max(64), timeStep: z.number().int().nonnegative() }),
});

export const TotpDisabled = defineEvent({
  type: "TotpDisabled",
  domain: "mfa",
  description:
    "TOTP was switched off (after a fresh login and a current code); its secret and backup codes are gone.",
  version: 1,
  schema: z.object({ userId }),
});

export const BackupCodesGenerated = defineEvent({
  type: "BackupCodesGenerated",
  domain: "mfa",
  description:
    "A new set of single-use backup codes replaced any earlier set. Stored as HMAC-SHA-256(salt, code) only.",
  version: 1,
  schema: z.object({
    userId,
    salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
    hashes: z.array(hex64).length(10),
  }),
});

export const MfaChallengeIssued = defineEvent({
  type: "MfaChallengeIssued",
  domain: "mfa",
  description:
    "A correct password for an account with two-factor: no session yet, but an mfaToken (stored as SHA-256) valid until `expiresAt` for one POST /v1/auth/mfa/verify.",
  version: 1,
  schema: z.object({ userId, challengeHash: hex64, expiresAt: z.iso.datetime(), deviceTrusted: z.boolean() }),
});

export const MfaVerificationSucceeded = defineEvent({
  type: "MfaVerificationSucceeded",
  domain: "mfa",
  description:
    "A second factor was accepted. For TOTP, `timeStep` is spent (a replay is refused); for a backup code, `codeIndex` is spent; for a login, the challenge is spent.",
  version: 1,
  schema: z.object({
    userId,
    method: z.enum(MFA_METHODS),
    purpose: z.enum(MFA_PURPOSES),
    timeStep: z.number().int().nonnegative().nullable(),
    codeIndex: z.number().int().min(0).max(9).nullable(),
    challengeHash: hex64.nullable(),
  }),
});

export const MfaVerificationFailed = defineEvent({
  type: "MfaVerificationFailed",
  domain: "mfa",
  description:
    "A wrong, replayed or spent code was presented. Five within 15 minutes block further attempts (429) until the oldest ages out.",
  version: 1,
  schema: z.object({ userId, method: z.enum(MFA_METHODS), purpose: z.enum(MFA_PURPOSES) }),
});

export const mfaEvents = [
  TotpEnabled,
  TotpDisabled,
  BackupCodesGenerated,
  MfaChallengeIssued,
  MfaVerificationSucceeded,
  MfaVerificationFailed,
];
