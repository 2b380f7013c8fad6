/**
 * Password login. One argon2 verification per attempt whether or not the email
 * has an account (unknown emails verify against a dummy hash), and the same
 * answers: failures count down and lock alike, so neither the response nor its
 * timing tells whether an account exists. Lock state for unknown emails lives
 * in the SessionGuard's counters, keyed by the email's hash.
 *
 * Success appends to the user stream (LoginSucceeded, PasswordRehashed when the
 * hash parameters changed) and starts the session, evicting the oldest beyond
 * the limit, in ONE transaction; the guard hears of evictions after it commits.
 */
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { issueMfaChallengeIn, type MfaChallenge } from "../mfa/login.ts";
import {
  issueTokens,
  markRevoked,
  sessionActivity,
  startSessionIn,
  type TokenPair,
  touch,
} from "../sessions/commands.ts";
import {
  decideLogin,
  decideUnknownLogin,
  hasMfa,
  isLocked,
  normaliseEmail,
  type Refusal,
  userByEmail,
  userById,
  userStream,
} from "./user.ts";

const RETRIES = 3;

export interface LoginInput {
  email: string;
  password: string;
  deviceToken?: string | undefined;
  ip: string | null;
  userAgent: string | null;
}

export type LoginResult = (TokenPair & { deviceToken: string }) | MfaChallenge;

/** Failures for unknown emails go to one of 16 shards; the email itself never enters a stream id. */
export const unknownLoginStream = (emailHash: string) => `login-unknown-${emailHash[0]}`;

export async function login(
  deps: AuthDeps,
  input: LoginInput,
  metadata: EventMetadata,
): Promise<LoginResult> {
  const email = normaliseEmail(input.email);
  const emailHash = sha256Hex(email);
  const user = await userByEmail(deps.db, email);
  if (!user) return unknownEmail(deps, input.password, emailHash, metadata);

  const { passwords, devices } = deps.auth;
  const now = deps.clock.now();
  const deviceTrusted = input.deviceToken ? await devices.verify(input.deviceToken, user.userId) : false;
  // A lock means no password is checked at all (the decoy does the same).
  const passwordOk =
    isLocked(user, now) && !deviceTrusted ? false : await passwords.verify(user.passwordHash, input.password);
  const rehashed =
    passwordOk && passwords.needsRehash(user.passwordHash) ? await passwords.hash(input.password) : null;
  const policy = { ...lockout(deps), requireEmailVerification: deps.config.auth.requireEmailVerification };
  const userMeta = passwordOk ? { ...metadata, actor: `user:${user.userId}` } : metadata;

  for (let attempt = 0; ; attempt++) {
    const sessionId = crypto.randomUUID();
    // The guard's view of the open sessions (for idle eviction) is read before the
    // transaction: nothing may hold the user's row lock while waiting on Redis.
    const seen = passwordOk ? await sessionActivity(deps, user.userId) : new Map<string, Date>();
    try {
      // Logins of one user are serialised on the user stream's row, and decided on
      // the row as it is under that lock: concurrent attempts neither conflict nor
      // miscount failures, and the session limit holds.
      const result = await deps.db.transaction(async (tx) => {
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [
          userStream(user.userId),
        ]);
        const state = (await userById(tx, user.userId)) ?? user;
        // The password was reset or changed while this attempt checked the old hash:
        // the old password must not start a session after the change committed.
        const ok =
          state.passwordHash === user.passwordHash || !passwordOk
            ? passwordOk
            : await passwords.verify(state.passwordHash, input.password);
        const { outcome, events } = decideLogin(
          state,
          {
            now: deps.clock.now(),
            passwordOk: ok,
            deviceTrusted,
            sessionId,
            emailHash,
            rehashed: ok && state.passwordHash === user.passwordHash ? rehashed : null,
          },
          policy,
        );
        // SEAM (MFA): with a second factor, a correct password starts no session: no
        // LoginSucceeded yet, but a challenge, answered { mfaRequired: true, mfaToken }.
        if (outcome.kind === "success" && (await hasMfa(tx, state))) {
          const rest = events.filter((e) => e.type !== "LoginSucceeded");
          if (rest.length)
            await deps.store.appendIn(tx, userStream(state.userId), state.version, rest, userMeta);
          const mfa = await issueMfaChallengeIn(tx, deps, { userId: state.userId, deviceTrusted }, userMeta);
          return { outcome, state, started: null, mfa };
        }
        await deps.store.appendIn(tx, userStream(state.userId), state.version, events, userMeta);
        if (outcome.kind !== "success") return { outcome, state, started: null };
        const started = await startSessionIn(
          tx,
          deps,
          { sessionId, userId: state.userId, roles: state.roles, ip: input.ip, userAgent: input.userAgent },
          userMeta,
          seen,
        );
        return { outcome, state, started };
      });
      if ("mfa" in result && result.mfa) return result.mfa;
      // A refusal is committed (the failure is on record) before it is answered.
      if (result.outcome.kind !== "success" || !result.started) {
        throw refusal(result.outcome as Refusal, deps.clock.now());
      }
      await markRevoked(deps, result.started.ended);
      await touch(deps, sessionId, result.state.roles);
      const pair = await issueTokens(deps, result.state, sessionId, result.started.refreshToken);
      return { ...pair, deviceToken: await devices.issue(result.state.userId) };
    } catch (err) {
      // A session this login would evict changed meanwhile (refresh, logout): decide again.
      if (!(err instanceof ConcurrencyError) || attempt >= RETRIES) throw err;
    }
  }
}

const lockout = (deps: AuthDeps) => ({
  threshold: deps.config.auth.lockoutThreshold,
  lockoutSeconds: deps.config.auth.lockoutSeconds,
});

async function unknownEmail(
  deps: AuthDeps,
  password: string,
  emailHash: string,
  metadata: EventMetadata,
): Promise<never> {
  const { guard, passwords } = deps.auth;
  const key = `login-fail:${emailHash}`;
  const policy = lockout(deps);
  const now = deps.clock.now();
  const event = { type: "LoginFailed", data: { userId: null, emailHash, reason: "unknown_email" } };
  const before = await guard.hits(key).catch(() => ({ count: 0, resetSeconds: 0 }));
  if (before.count >= policy.threshold) {
    await deps.store.append(unknownLoginStream(emailHash), "any", [event], metadata);
    throw refusal({ kind: "locked", until: new Date(now.getTime() + before.resetSeconds * 1000) }, now);
  }
  await passwords.verifyAgainstDummy(password);
  await deps.store.append(unknownLoginStream(emailHash), "any", [event], metadata);
  const count = await guard.hit(key, policy.lockoutSeconds).catch(() => before.count + 1);
  throw refusal(decideUnknownLogin(count - 1, now, policy), now);
}

/** The problem a refused password check answers with (also used by password change). */
export function refusal(outcome: Refusal, now: Date): AppError {
  switch (outcome.kind) {
    case "invalid_password":
      return new AppError("invalid_credentials", "The email or password is incorrect", {
        // Shown once few remain, so a user can stop before locking themselves out.
        ext: outcome.remainingAttempts <= 3 ? { remainingAttempts: outcome.remainingAttempts } : undefined,
      });
    case "locked": {
      const seconds = Math.max(1, Math.ceil((outcome.until.getTime() - now.getTime()) / 1000));
      return new AppError("account_locked", "Too many failed attempts; try again later", {
        headers: { "Retry-After": String(seconds) },
        ext: { retryAfter: seconds },
      });
    }
    case "disabled":
      return new AppError("account_disabled", "This account is disabled");
    case "email_not_verified":
      return new AppError("email_not_verified", "Verify your email address before logging in");
  }
}
