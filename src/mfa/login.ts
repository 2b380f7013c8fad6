/**
 * The login's second step. A correct password for an account with two-factor
 * starts no session: `issueMfaChallengeIn` (called from src/identity/login.ts,
 * inside the login's transaction) records MfaChallengeIssued and answers
 * `{ mfaRequired: true, mfaToken }`. The mfaToken is 256 random bits, stored
 * only as SHA-256, valid 5 minutes and spent by the first successful verify.
 *
 * `verifyMfaLogin` then holds the user stream row (as login does) and the mfa
 * stream row, checks the code, and in one transaction spends it, records
 * LoginSucceeded and starts the session, so concurrent verifies of one code,
 * backup code or token cannot both win.
 */
import type { Sql } from "../../db/client.ts";
import { ConcurrencyError } from "../../events/errors.ts";
import type { EventMetadata } from "../../events/types.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { randomToken, sha256Hex } from "../crypto/random.ts";
import { AppError } from "../http/errors.ts";
import { userById, userStream } from "../identity/user.ts";
import {
  issueTokens,
  markRevoked,
  type StartedSession,
  sessionActivity,
  startSessionIn,
  type TokenPair,
  touch,
} from "../sessions/commands.ts";
import { openSecret, secretsOf } from "./secrets.ts";
import {
  blockedSeconds,
  checkProof,
  mfaStream,
  onMfaStream,
  type Proof,
  proofEvent,
  tooManyAttempts,
  wrongCode,
} from "./state.ts";

export const MFA_TOKEN_TTL_SECONDS = 300;

export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  expiresIn: number;
}

export async function issueMfaChallengeIn(
  tx: Sql,
  deps: AuthDeps,
  cmd: { userId: string; deviceTrusted: boolean },
  metadata: EventMetadata,
): Promise<MfaChallenge> {
  const mfaToken = `mfa_${randomToken(32)}`;
  const expiresAt = new Date(deps.clock.now().getTime() + MFA_TOKEN_TTL_SECONDS * 1000);
  await deps.store.appendIn(
    tx,
    mfaStream(cmd.userId),
    "any",
    [
      {
        type: "MfaChallengeIssued",
        data: {
          userId: cmd.userId,
          challengeHash: sha256Hex(mfaToken),
          expiresAt: expiresAt.toISOString(),
          deviceTrusted: cmd.deviceTrusted,
        },
      },
    ],
    metadata,
  );
  return { mfaRequired: true, mfaToken, expiresIn: MFA_TOKEN_TTL_SECONDS };
}

interface ChallengeRow {
  user_id: string;
  device_trusted: boolean;
  expires_at: Date | string;
  used_at: Date | string | null;
}

async function challengeIn(sql: Sql, hash: string, now: Date): Promise<ChallengeRow | null> {
  const [r] = await sql.query<ChallengeRow>(
    "SELECT user_id, device_trusted, expires_at, used_at FROM mfa_challenges WHERE challenge_hash = $1",
    [hash],
  );
  return r && r.used_at === null && new Date(r.expires_at).getTime() > now.getTime() ? r : null;
}

const invalidToken = () =>
  new AppError("mfa_token_invalid", "The MFA token is invalid, expired or already used");

export interface VerifyInput {
  mfaToken: string;
  proof: Proof;
  ip: string | null;
  userAgent: string | null;
}

export async function verifyMfaLogin(
  deps: AuthDeps,
  input: VerifyInput,
  metadata: EventMetadata,
): Promise<TokenPair & { deviceToken: string }> {
  const hash = sha256Hex(input.mfaToken);
  const challenge = await challengeIn(deps.db, hash, deps.clock.now());
  if (!challenge) throw invalidToken();
  const userId = challenge.user_id;
  const userMeta = { ...metadata, actor: `user:${userId}` };

  for (let attempt = 0; ; attempt++) {
    const sessionId = crypto.randomUUID();
    // Redis is asked before the transaction, never while it holds the user's row.
    const seen = await sessionActivity(deps, userId);
    try {
      const done = await onMfaStream<{ roles: string[]; started: StartedSession }>(
        deps,
        userId,
        userMeta,
        async (tx, state) => {
          const now = deps.clock.now();
          const fail = (error: AppError) => ({ events: [], outcome: { ok: false as const, error } });
          // Decided on what this transaction sees under the locks: spent tokens stay spent.
          const live = await challengeIn(tx, hash, now);
          const user = await userById(tx, userId);
          if (!live || !user || !state?.totpEnabled) return fail(invalidToken());
          if (user.status !== "active")
            return fail(new AppError("account_disabled", "This account is disabled"));
          const wait = blockedSeconds(state, now);
          if (wait) return fail(tooManyAttempts(wait));
          const secrets = await secretsOf(tx, userId);
          const secret = secrets?.active ? await openSecret(deps.auth.keyring, userId, secrets.active) : null;
          const check = await checkProof(state, secret, input.proof, now);
          if (!check.ok) {
            return {
              events: [proofEvent(userId, check, "login")],
              outcome: { ok: false, error: wrongCode(state, now) },
            };
          }
          await deps.store.appendIn(
            tx,
            userStream(userId),
            user.version,
            [
              {
                type: "LoginSucceeded",
                data: { userId, sessionId, deviceTrusted: live.device_trusted, email: user.email },
              },
            ],
            userMeta,
          );
          const started = await startSessionIn(
            tx,
            deps,
            { sessionId, userId, roles: user.roles, ip: input.ip, userAgent: input.userAgent },
            userMeta,
            seen,
          );
          return {
            events: [proofEvent(userId, check, "login", hash)],
            outcome: { ok: true, value: { roles: user.roles, started } },
          };
        },
        { lockUser: true, retries: 0 },
      );
      await markRevoked(deps, done.started.ended);
      await touch(deps, sessionId, done.roles);
      const pair = await issueTokens(
        deps,
        { userId, roles: done.roles },
        sessionId,
        done.started.refreshToken,
      );
      return { ...pair, deviceToken: await deps.auth.devices.issue(userId) };
    } catch (err) {
      // A session this login would evict changed meanwhile: decide again.
      if (!(err instanceof ConcurrencyError) || attempt >= 3) throw err;
    }
  }
}
