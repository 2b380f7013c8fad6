/**
 * TOTP setup, enable, disable and new backup codes. Each decides inside
 * onMfaStream (one transaction on the user's `mfa-<user>` stream row) and writes
 * the sealed secret in that same transaction, so the table and the log agree.
 */
import type { EventMetadata } from "../../events/types.ts";
import { principalsFor } from "../access/principals.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import { userById } from "../identity/user.ts";
import { generateBackupCodes } from "./backup-codes.ts";
import {
  activatePending,
  deleteSecrets,
  openSecret,
  putPendingSecret,
  sealSecret,
  secretsOf,
} from "./secrets.ts";
import {
  blockedSeconds,
  checkProof,
  type MfaDecision,
  onMfaStream,
  type Proof,
  proofEvent,
  tooManyAttempts,
  wrongCode,
} from "./state.ts";
import { newTotpSecret, otpauthUri, qrSvg } from "./totp.ts";

/** A started setup must be confirmed within this long. */
export const SETUP_TTL_SECONDS = 15 * 60;

const refuse = <T>(error: AppError): MfaDecision<T> => ({ events: [], outcome: { ok: false, error } });

export async function setupTotp(
  deps: AuthDeps,
  userId: string,
  metadata: EventMetadata,
): Promise<{ secret: string; otpauthUri: string; qrSvg: string }> {
  const user = await userById(deps.db, userId);
  if (!user) throw new AppError("unauthorized", "The account no longer exists");
  const secret = newTotpSecret();
  const sealed = await sealSecret(deps.auth.keyring, userId, secret);
  await onMfaStream<null>(deps, userId, metadata, async (tx, state) => {
    if (state?.totpEnabled) return refuse(new AppError("mfa_already_enabled", "Disable two-factor first"));
    // A pending secret is not a fact yet (nothing changes until it is confirmed): no event.
    await putPendingSecret(tx, userId, sealed, deps.clock.now());
    return { events: [], outcome: { ok: true, value: null } };
  });
  const uri = otpauthUri(secret, user.email);
  return { secret, otpauthUri: uri, qrSvg: await qrSvg(uri) };
}

export async function enableTotp(
  deps: AuthDeps,
  userId: string,
  code: string,
  metadata: EventMetadata,
): Promise<{ backupCodes: string[] }> {
  const codes = await generateBackupCodes();
  const result = await onMfaStream<{ backupCodes: string[] }>(deps, userId, metadata, async (tx, state) => {
    const now = deps.clock.now();
    if (state?.totpEnabled) return refuse(new AppError("mfa_already_enabled", "Two-factor is already on"));
    const secrets = await secretsOf(tx, userId);
    const fresh =
      secrets?.pending &&
      secrets.pendingCreatedAt &&
      now.getTime() - secrets.pendingCreatedAt.getTime() <= SETUP_TTL_SECONDS * 1000;
    if (!secrets?.pending || !fresh) {
      return refuse(new AppError("mfa_setup_required", "Start with POST /v1/mfa/totp/setup"));
    }
    const wait = blockedSeconds(state, now);
    if (wait) return refuse(tooManyAttempts(wait));
    const secret = await openSecret(deps.auth.keyring, userId, secrets.pending);
    const check = await checkProof(state, secret, { code }, now, { allowBackup: false });
    if (!check.ok) {
      return {
        events: [proofEvent(userId, check, "enable")],
        outcome: { ok: false, error: wrongCode(state, now) },
      };
    }
    await activatePending(tx, userId, now);
    return {
      events: [
        {
          type: "TotpEnabled",
          data: { userId, keyId: deps.auth.keyring.keyIdOf(secrets.pending), timeStep: check.timeStep! },
        },
        { type: "BackupCodesGenerated", data: { userId, salt: codes.salt, hashes: codes.hashes } },
      ],
      outcome: { ok: true, value: { backupCodes: codes.codes } },
    };
  });
  principalsFor(deps).invalidate(userId);
  return result;
}

/** Disable, or new backup codes: both need the factor on and a current proof. */
async function withProof<T>(
  deps: AuthDeps,
  userId: string,
  proof: Proof,
  purpose: "disable" | "regenerate",
  metadata: EventMetadata,
  effect: (
    tx: Parameters<Parameters<typeof onMfaStream>[3]>[0],
  ) => Promise<{ events: MfaDecision<T>["events"]; value: T }>,
): Promise<T> {
  return onMfaStream<T>(deps, userId, metadata, async (tx, state) => {
    const now = deps.clock.now();
    if (!state?.totpEnabled) return refuse(new AppError("mfa_not_enabled", "Two-factor is not on"));
    const wait = blockedSeconds(state, now);
    if (wait) return refuse(tooManyAttempts(wait));
    const secrets = await secretsOf(tx, userId);
    const secret = secrets?.active ? await openSecret(deps.auth.keyring, userId, secrets.active) : null;
    const check = await checkProof(state, secret, proof, now);
    if (!check.ok) {
      return {
        events: [proofEvent(userId, check, purpose)],
        outcome: { ok: false, error: wrongCode(state, now) },
      };
    }
    const done = await effect(tx);
    return {
      events: [proofEvent(userId, check, purpose), ...done.events],
      outcome: { ok: true, value: done.value },
    };
  });
}

export async function disableTotp(
  deps: AuthDeps,
  userId: string,
  proof: Proof,
  metadata: EventMetadata,
): Promise<void> {
  await withProof(deps, userId, proof, "disable", metadata, async (tx) => {
    await deleteSecrets(tx, userId);
    return { events: [{ type: "TotpDisabled", data: { userId } }], value: null };
  });
  principalsFor(deps).invalidate(userId);
}

export async function regenerateBackupCodes(
  deps: AuthDeps,
  userId: string,
  proof: Proof,
  metadata: EventMetadata,
): Promise<{ backupCodes: string[] }> {
  const codes = await generateBackupCodes();
  return withProof(deps, userId, proof, "regenerate", metadata, async () => ({
    events: [{ type: "BackupCodesGenerated", data: { userId, salt: codes.salt, hashes: codes.hashes } }],
    value: { backupCodes: codes.codes },
  }));
}
