/**
 * The identity feature's side effects, built once per process and injected as
 * `AppDeps.auth`: password hashing (argon2id worker pool), JWT keys and the
 * token issuer, device tokens (lockout bypass) and the SessionGuard.
 */
import type { Logger } from "pino";
import type { Db } from "../../db/client.ts";
import type { EventStore } from "../../events/store.ts";
import type { Config } from "../config.ts";
import { createKeyring, type Keyring } from "../crypto/aead.ts";
import { createDeviceTokens, type DeviceTokens } from "../crypto/device-token.ts";
import { createTokenIssuer, JwtKeys, type KeyStoreBackend, type TokenIssuer } from "../crypto/jwt.ts";
import { createLinkTokens, type LinkTokens } from "../crypto/link-tokens.ts";
import { createPasswordHasher, type PasswordHasher, type PasswordHasherOptions } from "../crypto/password.ts";
import { linkUserVersions } from "../identity/user-cache.ts";
import { postgresKeyStoreBackend } from "./jwt-key-store.ts";
import { memorySessionGuard, type SessionGuard } from "./session-guard.ts";
import { redisSessionGuard } from "./session-guard-redis.ts";
import { resilientSessionGuard } from "./session-guard-resilient.ts";

export interface AuthServices {
  passwords: PasswordHasher;
  keys: JwtKeys;
  tokens: TokenIssuer;
  devices: DeviceTokens;
  /** Email verification and password-reset tokens, derived from their event's id. */
  links: LinkTokens;
  guard: SessionGuard;
  /** ENCRYPTION_KEY's keyring: seals secrets at rest (JWT private keys, TOTP secrets). */
  keyring: Keyring;
  close(): Promise<void>;
}

export interface AuthServicesOptions {
  db: Db;
  config: Config;
  clock: { now(): Date };
  logger: Pick<Logger, "warn" | "error" | "info">;
  /** Defaults: Redis when config.redisUrl, else in-memory. */
  guard?: SessionGuard;
  passwordOptions?: PasswordHasherOptions;
  /** Defaults to the `jwt_keys` table. */
  keyBackend?: KeyStoreBackend;
  /**
   * The event store this process appends with: its user-stream appends then
   * announce their versions to the guard (src/identity/user-cache.ts). Required
   * because a process that wrote user streams unannounced would let every
   * process serve a cached users row up to 5 s stale.
   */
  store: Pick<EventStore, "beforeCommit">;
}

const encoder = new TextEncoder();

/**
 * Outside production an unset ENCRYPTION_KEY becomes a fixed, public development
 * key, so `npm start` works on a fresh machine; production refuses to start
 * without a real one (src/config.ts).
 */
async function encryptionKeys(
  opts: Pick<AuthServicesOptions, "config" | "logger">,
): Promise<{ id: string; key: Uint8Array }[]> {
  // The current key first; older ones stay in the ring to decrypt until `keys rotate-encryption`.
  if (opts.config.encryptionKeys?.length) return opts.config.encryptionKeys;
  if (opts.config.env === "production") throw new Error("ENCRYPTION_KEY is required in production");
  if (opts.config.env !== "test") {
    opts.logger.warn(
      {},
      "ENCRYPTION_KEY is unset: using the fixed development key (secrets at rest are NOT protected)",
    );
  }
  const key = new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode("vigil development encryption key (public)")),
  );
  return [{ id: "dev", key }];
}

/** ENCRYPTION_KEY's keyring on its own (the event store seals personal data with it before auth starts). */
export async function masterKeyring(config: Config): Promise<Keyring> {
  const ring = await encryptionKeys({ config, logger: { warn() {}, error() {}, info() {} } });
  return createKeyring(ring, ring[0]!.id);
}

/** A separate HMAC key for device tokens, derived from the encryption key (HKDF-SHA-256). */
async function deriveKey(key: Uint8Array, info: string): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey("raw", new Uint8Array(key), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(info) },
    base,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * Redis (behind the fail-fast wrapper: 100 ms per call, then the sessions row)
 * when REDIS_URL is set, else in memory. Waits a moment for the connection so
 * the first requests take the fast path; not connected in time is not fatal.
 */
async function defaultGuard(opts: AuthServicesOptions): Promise<SessionGuard> {
  const { config, clock } = opts;
  if (!config.redisUrl) return memorySessionGuard(clock);
  const redis = redisSessionGuard({ url: config.redisUrl, prefix: `${config.redisPrefix}:sg:` });
  await redis.connected(1000);
  return resilientSessionGuard(redis, opts.logger);
}

export async function createAuthServices(opts: AuthServicesOptions): Promise<AuthServices> {
  const { config, clock } = opts;
  const ttl = config.auth.accessTokenTtlSeconds;
  const ring = await encryptionKeys(opts);
  const master = ring[0]!;
  const keyring: Keyring = createKeyring(ring, master.id);
  const now = () => clock.now();
  const keys = await JwtKeys.open({
    backend: opts.keyBackend ?? postgresKeyStoreBackend(opts.db),
    keyring,
    clock: now,
    accessTtlSeconds: ttl,
    // Losing the dev key (a real ENCRYPTION_KEY set later) must not brick a laptop.
    retireUndecryptable: config.env !== "production",
    onError: (err) => opts.logger.error({ err }, "reloading JWT signing keys failed"),
  });
  const tokens = createTokenIssuer({
    keys,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: ttl,
    clock: now,
  });
  const devices = createDeviceTokens({ key: await deriveKey(master.key, "vigil:device-token"), clock: now });
  const links = createLinkTokens(await deriveKey(master.key, "vigil:link-token"));
  const guard = opts.guard ?? (await defaultGuard(opts));
  const passwords = createPasswordHasher({
    poolSize: config.auth.passwordHashWorkers,
    maxQueued: config.auth.passwordHashQueue,
    ...(config.auth.passwordHashNice === undefined ? {} : { workerNice: config.auth.passwordHashNice }),
    backend: config.auth.passwordHashBackend,
    ...opts.passwordOptions,
  });
  opts.logger.info({ backend: passwords.backend }, "password hashing: argon2id backend");
  const unlink = linkUserVersions(opts.store, guard);
  return {
    passwords,
    keys,
    tokens,
    devices,
    links,
    guard,
    keyring,
    async close() {
      unlink();
      await passwords.close();
      await guard.close();
    },
  };
}
