/**
 * A user's second factor as the `mfa` projection keeps it, the transaction every
 * MFA decision runs in (serialised on the `mfa-<user>` stream row, so two uses
 * of one code or one backup code cannot both win), and the checks they share.
 */
import type { Sql } from "../../db/client.ts";
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";
import { findBackupCode } from "./backup-codes.ts";
import { matchStep } from "./totp.ts";

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_SECONDS = 15 * 60;

export interface MfaState {
  userId: string;
  totpEnabled: boolean;
  enabledAt: Date | null;
  secretKeyId: string | null;
  lastTimeStep: number | null;
  backupSalt: string | null;
  backupHashes: (string | null)[];
  recentFailures: Date[];
  version: number;
}

export const mfaStream = (userId: string) => `mfa-${userId}`;

interface Row {
  user_id: string;
  totp_enabled: boolean;
  enabled_at: Date | string | null;
  secret_key_id: string | null;
  last_time_step: number | string | null;
  backup_salt: string | null;
  backup_hashes: (string | null)[];
  recent_failures: string[];
  version: number;
}

export async function mfaStateIn(sql: Sql, userId: string): Promise<MfaState | null> {
  const [r] = await sql.query<Row>("SELECT * FROM mfa_factors WHERE user_id = $1", [userId]);
  if (!r) return null;
  return {
    userId: r.user_id,
    totpEnabled: r.totp_enabled,
    enabledAt: r.enabled_at === null ? null : new Date(r.enabled_at),
    secretKeyId: r.secret_key_id,
    lastTimeStep: r.last_time_step === null ? null : Number(r.last_time_step),
    backupSalt: r.backup_salt,
    backupHashes: r.backup_hashes,
    recentFailures: r.recent_failures.map((t) => new Date(t)),
    version: Number(r.version),
  };
}

/** The seam for login (src/identity/user.ts hasMfa): is a second factor required? */
export async function mfaEnabledIn(sql: Sql, userId: string): Promise<boolean> {
  const [r] = await sql.query<{ totp_enabled: boolean }>(
    "SELECT totp_enabled FROM mfa_factors WHERE user_id = $1",
    [userId],
  );
  return r?.totp_enabled === true;
}

/** Seconds until another attempt is allowed, or 0: five failures within 15 minutes block until the oldest ages out. */
export function blockedSeconds(state: MfaState | null, now: Date): number {
  const since = now.getTime() - FAILURE_WINDOW_SECONDS * 1000;
  const recent = (state?.recentFailures ?? []).filter((t) => t.getTime() > since).sort((a, b) => +a - +b);
  if (recent.length < MAX_FAILURES) return 0;
  const oldest = recent[recent.length - MAX_FAILURES]!;
  return Math.max(1, Math.ceil((oldest.getTime() + FAILURE_WINDOW_SECONDS * 1000 - now.getTime()) / 1000));
}

export type Proof = { code: string; backupCode?: undefined } | { backupCode: string; code?: undefined };

export type ProofCheck =
  | { ok: true; method: "totp"; timeStep: number; codeIndex: null }
  | { ok: true; method: "backup_code"; timeStep: null; codeIndex: number }
  | { ok: false; method: "totp" | "backup_code" };

/** A TOTP code (for a step after the last accepted one) or an unused backup code. */
export async function checkProof(
  state: MfaState | null,
  secret: string | null,
  proof: Proof,
  now: Date,
  opts: { allowBackup: boolean } = { allowBackup: true },
): Promise<ProofCheck> {
  if (proof.code !== undefined) {
    const step = secret ? matchStep(secret, proof.code, now.getTime()) : null;
    // Refuse a replay, and any step at or before the last accepted one (RFC 6238 §5.2).
    if (step === null || (state?.lastTimeStep != null && step <= state.lastTimeStep)) {
      return { ok: false, method: "totp" };
    }
    return { ok: true, method: "totp", timeStep: step, codeIndex: null };
  }
  const index = opts.allowBackup
    ? await findBackupCode(state?.backupSalt ?? null, state?.backupHashes ?? [], proof.backupCode)
    : null;
  return index === null
    ? { ok: false, method: "backup_code" }
    : { ok: true, method: "backup_code", timeStep: null, codeIndex: index };
}

export function proofEvent(
  userId: string,
  check: ProofCheck,
  purpose: "login" | "enable" | "disable" | "regenerate",
  challengeHash: string | null = null,
): NewEvent {
  return check.ok
    ? {
        type: "MfaVerificationSucceeded",
        data: {
          userId,
          method: check.method,
          purpose,
          timeStep: check.timeStep,
          codeIndex: check.codeIndex,
          challengeHash,
        },
      }
    : { type: "MfaVerificationFailed", data: { userId, method: check.method, purpose } };
}

export interface MfaDecision<T> {
  events: NewEvent[];
  /** Committed with the events; thrown (or returned) after commit. */
  outcome: { ok: true; value: T } | { ok: false; error: AppError };
}

/**
 * Runs `decide` in a transaction holding the `mfa-<user>` stream row (and first
 * the user stream's, when `lockUser`: the order login uses), appends its events
 * at the version read, commits, then returns the value or throws the error. A
 * refusal is therefore on record (MfaVerificationFailed) before it is answered.
 */
export async function onMfaStream<T>(
  deps: AuthDeps,
  userId: string,
  metadata: EventMetadata,
  decide: (tx: Sql, state: MfaState | null) => Promise<MfaDecision<T>>,
  opts: { lockUser?: boolean; retries?: number } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome = await deps.db.transaction(async (tx) => {
        if (opts.lockUser) {
          await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [`user-${userId}`]);
        }
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [mfaStream(userId)]);
        const state = await mfaStateIn(tx, userId);
        const d = await decide(tx, state);
        if (d.events.length > 0) {
          const v = state?.version ?? 0;
          await deps.store.appendIn(tx, mfaStream(userId), v === 0 ? "no_stream" : v, d.events, metadata);
        }
        return d.outcome;
      });
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= (opts.retries ?? 3)) throw err;
    }
  }
}

export function tooManyAttempts(seconds: number): AppError {
  return new AppError("rate_limited", `Too many wrong codes; retry in ${seconds} s`, {
    headers: { "Retry-After": String(seconds) },
    ext: { retryAfter: seconds },
  });
}

export function wrongCode(state: MfaState | null, now: Date): AppError {
  const since = now.getTime() - FAILURE_WINDOW_SECONDS * 1000;
  // This failure is not in `state` yet: it commits with the answer.
  const used = (state?.recentFailures ?? []).filter((t) => t.getTime() > since).length + 1;
  return new AppError("mfa_code_invalid", "The code is wrong, expired or already used", {
    ext: { remainingAttempts: Math.max(0, MAX_FAILURES - used) },
  });
}
