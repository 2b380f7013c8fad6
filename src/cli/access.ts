/**
 * CLI commands of access control:
 *
 *   admin create --email <address> [--force]
 *       Creates the first admin (or makes an existing account admin) and prints
 *       a one-time set-password link (a password-reset token, 24 h). Refuses when
 *       an active admin exists, unless --force.
 *   keys rotate-encryption
 *       Re-seals every secret at rest (TOTP secrets, JWT private keys) under the
 *       current ENCRYPTION_KEY (the first of `id:base64,...`). Idempotent.
 */

import { rewrapSubjectKeys } from "../../events/pii.ts";
import type { EventMetadata } from "../../events/types.ts";
import { grantRole } from "../admin/commands.ts";
import { resealCheckpointKeys } from "../audit/checkpoint-keys.ts";
import type { AuthDeps } from "../auth/deps.ts";
import type { Keyring } from "../crypto/aead.ts";
import { randomToken } from "../crypto/random.ts";
import { issuePasswordReset, resetUrl } from "../identity/password-reset.ts";
import { register } from "../identity/register.ts";
import { normaliseEmail, userByEmail } from "../identity/user.ts";
import { rotateTotpSecrets } from "../mfa/secrets.ts";

export interface AccessCliDeps {
  /** Built on demand: the auth services start a hashing pool and load JWT keys. */
  authDeps: () => Promise<AuthDeps>;
  out: (line: string) => void;
}

const BOOTSTRAP_LINK_TTL_SECONDS = 24 * 3600;

const cliMeta = (command: string, reason?: string): EventMetadata => ({
  actor: "system:cli",
  ip: null,
  userAgent: `vigil-cli ${command}`,
  requestId: null,
  correlationId: crypto.randomUUID(),
  causationId: null,
  ...(reason ? { reason } : {}),
});

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v && !v.startsWith("--") ? v : undefined;
}

export async function cmdAdminCreate(d: AccessCliDeps, args: readonly string[]): Promise<number> {
  const email = flag(args, "--email");
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    d.out("usage: admin create --email <address> [--force]");
    return 2;
  }
  const deps = await d.authDeps();
  const [admins] = await deps.db.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM users WHERE status = 'active' AND roles @> '["admin"]'::jsonb`,
  );
  if (Number(admins?.n ?? 0) > 0 && !args.includes("--force")) {
    d.out("refused: an admin already exists (grant the role through the admin API, or pass --force)");
    return 1;
  }
  const reason = "bootstrap: cli admin create";
  const meta = cliMeta("admin create", reason);
  let user = await userByEmail(deps.db, normaliseEmail(email));
  if (!user) {
    // A random password nobody knows: the admin sets theirs through the link.
    user = await register(deps, { email, password: randomToken(32) }, meta);
  }
  await grantRole(deps, user.userId, "admin", reason, meta);
  const { token, expiresAt } = await issuePasswordReset(deps, user.userId, meta, {
    ttlSeconds: BOOTSTRAP_LINK_TTL_SECONDS,
    reason,
  });
  d.out(`admin: ${user.email} (${user.userId})`);
  d.out(`set the password (one use, until ${expiresAt.toISOString()}):`);
  d.out(`  ${resetUrl(deps, token)}`);
  if (deps.config.adminRequireMfa) {
    d.out("then log in and enable two-factor (POST /v1/mfa/totp/setup, /enable): admin endpoints require it");
  }
  return 0;
}

/** Same AAD as src/crypto/jwt-keys.ts seals with (the kid bound to its key). */
const jwtAad = (kid: string) => `jwt-signing-key:${kid}`;

async function rotateJwtKeys(deps: AuthDeps, keyring: Keyring) {
  const rows = await deps.db.query<{ kid: string; private_jwk_encrypted: string }>(
    "SELECT kid, private_jwk_encrypted FROM jwt_keys ORDER BY created_at",
  );
  const report = { rows: rows.length, reencrypted: 0, alreadyCurrent: 0, undecryptable: 0 };
  for (const r of rows) {
    if (!keyring.needsReencrypt(r.private_jwk_encrypted)) {
      report.alreadyCurrent++;
      continue;
    }
    let plain: string;
    try {
      plain = await keyring.decryptText(r.private_jwk_encrypted, jwtAad(r.kid));
    } catch {
      report.undecryptable++;
      continue;
    }
    await deps.db.query(
      "UPDATE jwt_keys SET private_jwk_encrypted = $2 WHERE kid = $1 AND private_jwk_encrypted = $3",
      [r.kid, await keyring.encrypt(plain, jwtAad(r.kid)), r.private_jwk_encrypted],
    );
    report.reencrypted++;
  }
  return report;
}

export async function cmdKeysRotateEncryption(d: AccessCliDeps): Promise<number> {
  const deps = await d.authDeps();
  const keyring = deps.auth.keyring;
  d.out(`current key: ${keyring.currentKeyId} (ring: ${keyring.keyIds.join(", ")})`);
  const totp = await rotateTotpSecrets(deps.db, keyring);
  d.out(
    `totp secrets: ${totp.rows} rows, ${totp.reencrypted} re-encrypted, ${totp.alreadyCurrent} already current`,
  );
  const people = await rewrapSubjectKeys(deps.db, keyring);
  d.out(
    `personal-data keys: ${people.rows} rows, ${people.rewrapped} re-encrypted, ${people.alreadyCurrent} already current, ${people.undecryptable} undecryptable`,
  );
  const checkpoint = await resealCheckpointKeys(deps.db, keyring);
  d.out(
    `checkpoint signing keys: ${checkpoint.rows} rows, ${checkpoint.resealed} re-encrypted, ${checkpoint.undecryptable} undecryptable`,
  );
  const jwt = await rotateJwtKeys(deps, keyring);
  d.out(
    `jwt signing keys: ${jwt.rows} rows, ${jwt.reencrypted} re-encrypted, ${jwt.alreadyCurrent} already current, ${jwt.undecryptable} undecryptable`,
  );
  if (jwt.undecryptable > 0 || people.undecryptable > 0 || checkpoint.undecryptable > 0) {
    d.out(
      "keys no key of the ring decrypts are left as they are (retired dev keys, or a key missing from the ring)",
    );
    return 1;
  }
  return 0;
}
