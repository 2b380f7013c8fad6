/**
 * The one place Vigil reads its settings. `loadConfig` is pure: entries pass in
 * `process.env` or `Deno.env.toObject()`, tests pass a literal. It validates
 * everything, then applies the production refusals, and reports every problem
 * in one ConfigError so an operator fixes them in one round instead of many.
 */
import { z } from "zod";
import { parseIpOrCidr } from "./http/ip.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  env: "development" | "test" | "production";
  port: number;
  host: string;
  /** Unset: embedded PGlite under `dataDir` (development and tests only). */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Where compliance export bundles are written (EXPORT_DIR); unset: `<dataDir>/exports`. */
  exportDir: string | undefined;
  /** Unset: in-process queue and in-memory rate limits. */
  redisUrl: string | undefined;
  /** Unset: mail goes to the development outbox. */
  smtpUrl: string | undefined;
  mailFrom: string;
  logLevel: LogLevel;
  corsOrigins: string[];
  trustedProxies: string[];
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  jwtIssuer: string;
  jwtAudience: string;
  /** The current key's 32 raw bytes (AES-256-GCM); only optional outside production. */
  encryptionKey: Uint8Array | undefined;
  /**
   * Every key of ENCRYPTION_KEY, the current one first: `base64` alone is key `k1`;
   * `id:base64,id:base64` lists a ring (older keys stay to decrypt until re-encrypted).
   */
  encryptionKeys: { id: string; key: Uint8Array }[] | undefined;
  /** Admin endpoints answer only admins with two-factor enabled (ADMIN_REQUIRE_MFA, default true). */
  adminRequireMfa: boolean;
  runWorkersInProcess: boolean;
  metricsToken: string | undefined;
  /** How long /metrics reuses the security gauges it read from the database (ms). */
  metricsCacheMs: number;
  /** Key prefix for everything Vigil keeps in Redis (queues, limits, revocations). */
  redisPrefix: string;
  /** Who is emailed about broken hash chains and other security failures. */
  securityEmail: string | undefined;
  /** PUBLIC_URL without a trailing slash: where users reach Vigil (and, by default, the links it mails). */
  publicUrl: string;
  /** Serve the hosted pages emailed links open (/verify-email, /reset-password, /accept-invitation; src/pages). */
  hostedPages: boolean;
  /** Identity and sessions (src/identity, src/sessions, src/auth). */
  auth: AuthConfig;
  /** src/security/ratelimit: Redis when redisUrl is set, else in memory. */
  rateLimit: RateLimitConfig;
  /** src/custody: signing-round timeouts and invitations. */
  custody: CustodyConfig;
  /** The custody WebSocket (src/custody/ws): limits and timings. */
  custodySocket: CustodySocketConfig;
  /** src/governance: wallet challenges, signed votes, proposal timing. */
  governance: GovernanceConfig;
  /** The Merkle ledger and its signed checkpoints (events/ledger). */
  ledger: LedgerConfig;
  /** How long operational tables keep rows (src/audit/retention.ts); never the log. */
  retention: RetentionConfig;
}

export interface CustodyConfig {
  /** How long a signing round may take before it times out and a new one starts. */
  roundTimeoutMs: number;
  /** Rounds a transaction may use (timeouts and refused shares each start one) before it fails. */
  maxRoundAttempts: number;
  invitationTtlSeconds: number;
}

export interface CustodySocketConfig {
  /** Concurrent sockets per user, across instances (Redis) or in this process. */
  maxConnectionsPerUser: number;
  /** Larger messages get a `message_too_large` error frame; four times this closes with 1009. */
  maxMessageBytes: number;
  messagesPerSecond: number;
  /** A ping every so often; two unanswered close the socket. */
  heartbeatMs: number;
  /** Time to send `auth` after the socket opens. */
  authTimeoutMs: number;
  /** Protocol errors within a minute that close the socket. */
  strikeLimit: number;
}

export interface GovernanceConfig {
  /** EIP-712 `chainId` of the vote domain, and the SIWE `Chain ID` of Ethereum challenges. */
  chainId: number;
  /** SIWE `Chain ID` of Solana challenges (e.g. `mainnet`). */
  solanaCluster: string;
  /** SIWE `domain` and `URI` (from PUBLIC_URL). */
  domain: string;
  uri: string;
  challengeTtlSeconds: number;
  /** Shortest voting window (the default, one hour, is the rule; tests shorten it). */
  minVotingSeconds: number;
  timelockSeconds: number;
  highRiskTimelockSeconds: number;
  /** A vote's `signedAt` may differ from the server's clock by at most this much. */
  signedAtSkewSeconds: number;
}

export interface LedgerConfig {
  /** Run the sequencer (in the process that runs the workers). */
  enabled: boolean;
  /** The checkpoint origin line and signing key name, e.g. `vigil.example.com/ledger`. */
  origin: string;
  /** Unset: checkpoints are only stored. Set: each one is also written here as a file. */
  witnessDir: string | undefined;
  /** A checkpoint at least this often while events arrive (ms). */
  checkpointIntervalMs: number;
  /** And at least every this many events. */
  checkpointEveryEvents: number;
}

export interface RetentionConfig {
  /** How often the pruning job runs (ms); 0 turns it off. */
  intervalMs: number;
  securitySignalsDays: number;
  /** RateLimitExceeded rows of `security_signals`: the evidence of refused requests. */
  rateLimitEvidenceDays: number;
  /** Sessions (and their refresh tokens) this long after they expired or were revoked. */
  sessionsDays: number;
  /** Email tokens this long after they were used, superseded, cancelled or expired. */
  emailTokensDays: number;
  /** MFA login challenges this long after they expired. */
  mfaChallengesDays: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Longest wait for Redis before a decision falls back to memory (ms). */
  storeTimeoutMs: number;
  policies: Record<RateLimitPolicyName, { limit: number; windowMs: number }>;
}

export type RateLimitPolicyName =
  | "ipMinute"
  | "ipHour"
  | "login"
  | "register"
  | "email"
  | "user"
  | "apiKey"
  | "metrics";

export interface AuthConfig {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Consecutive password failures that lock an account, and for how long. */
  lockoutThreshold: number;
  lockoutSeconds: number;
  maxSessionsPerUser: number;
  idleTimeoutSeconds: number;
  /** Idle timeout for sessions of users with the `admin` role. */
  adminIdleTimeoutSeconds: number;
  /** Refuse password login until the email is verified (default: true in production only). */
  requireEmailVerification: boolean;
  /** Lifetime of an email verification link / a password reset token. */
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** Links in emails: templates with `{token}`, defaulting to PUBLIC_URL + /verify-email and /reset-password. */
  verifyUrlTemplate: string;
  resetUrlTemplate: string;
  /** Argon2id hashes at once (PASSWORD_HASH_WORKERS); undefined: defaultPoolSize (crypto/password.ts). */
  passwordHashWorkers: number | undefined;
  /** Hashes that may wait for a worker before logins are refused with 503 (PASSWORD_HASH_QUEUE); undefined: 32 per worker. */
  passwordHashQueue: number | undefined;
  /** Niceness of the hashing child process or threads, 0..19 (PASSWORD_HASH_NICE); undefined: 10. */
  passwordHashNice: number | undefined;
  /** Argon2id implementation (PASSWORD_HASH_BACKEND): auto (native when it loads, else wasm), native, wasm. */
  passwordHashBackend: "auto" | "native" | "wasm";
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const optionalText = z.string().trim().min(1).optional();
const intIn = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);
/** An optional whole number whose problem names the accepted range (unset: a computed default). */
const optionalIntIn = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).optional();
};
const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );
const bool = (dflt: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .optional()
    .transform((v) => (v === undefined ? dflt : v === "true" || v === "1" || v === "yes"));

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((s) => URL.canParse(s) && protocols.includes(new URL(s).protocol), {
      message: `must be a URL with scheme ${protocols.join(" or ")}`,
    })
    .optional();

/** A URL with a `{token}` placeholder, e.g. https://app.example.com/reset?token={token}. */
const linkTemplate = z
  .string()
  .trim()
  .refine(
    (s) =>
      s.includes("{token}") &&
      URL.canParse(s.replace("{token}", "x")) &&
      ["http:", "https:"].includes(new URL(s.replace("{token}", "x")).protocol),
    {
      message: "must be an http(s) URL containing {token}",
    },
  )
  .optional();

const origin = z.string().refine((o) => o === "*" || (URL.canParse(o) && new URL(o).origin === o), {
  message: "must be `*` or an origin like https://app.example.com (scheme, host, optional port; no path)",
});

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: intIn(0, 65535, 3000),
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  DATABASE_URL: url(["postgres:", "postgresql:"]),
  DATA_DIR: z.string().trim().min(1).default("./data"),
  EXPORT_DIR: optionalText,
  REDIS_URL: url(["redis:", "rediss:"]),
  SMTP_URL: url(["smtp:", "smtps:"]),
  MAIL_FROM: z.string().trim().min(3).default("Vigil <no-reply@localhost>"),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  CORS_ORIGINS: list.pipe(z.array(origin)),
  TRUSTED_PROXIES: list.pipe(
    z.array(z.string().refine((s) => parseIpOrCidr(s) !== undefined, { message: "must be an IP or CIDR" })),
  ),
  BODY_LIMIT_BYTES: intIn(1, 100 * 1024 * 1024, 1024 * 1024),
  REQUEST_TIMEOUT_MS: intIn(1, 600_000, 10_000),
  JWT_ISSUER: z.string().trim().min(1).default("vigil"),
  JWT_AUDIENCE: z.string().trim().min(1).default("vigil"),
  ENCRYPTION_KEY: optionalText,
  ADMIN_REQUIRE_MFA: bool(true),
  RUN_WORKERS_IN_PROCESS: bool(true),
  METRICS_TOKEN: z.string().trim().min(16, "must be at least 16 characters").optional(),
  METRICS_CACHE_SECONDS: intIn(1, 3600, 5),
  REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only")
    .default("vigil"),
  SECURITY_EMAIL: z.email().optional(),
  HOSTED_PAGES: bool(true),
  ACCESS_TOKEN_TTL_SECONDS: intIn(60, 3600, 900),
  REFRESH_TOKEN_TTL_SECONDS: intIn(300, 90 * 86_400, 7 * 86_400),
  LOCKOUT_THRESHOLD: intIn(1, 100, 5),
  LOCKOUT_MINUTES: intIn(1, 24 * 60, 30),
  MAX_SESSIONS_PER_USER: intIn(1, 100, 3),
  SESSION_IDLE_MINUTES: intIn(1, 30 * 24 * 60, 30),
  SESSION_IDLE_MINUTES_ADMIN: intIn(1, 30 * 24 * 60, 15),
  REQUIRE_EMAIL_VERIFICATION: z.enum(["true", "false", "1", "0", "yes", "no"]).optional(),
  EMAIL_VERIFICATION_TTL_HOURS: intIn(1, 30 * 24, 24),
  PASSWORD_RESET_TTL_MINUTES: intIn(5, 24 * 60, 60),
  PASSWORD_HASH_WORKERS: optionalIntIn(1, 256),
  PASSWORD_HASH_QUEUE: optionalIntIn(0, 100_000),
  PASSWORD_HASH_NICE: optionalIntIn(0, 19),
  PASSWORD_HASH_BACKEND: z
    .enum(["auto", "native", "wasm"], { error: "must be auto, native or wasm" })
    .default("auto"),
  PUBLIC_URL: url(["http:", "https:"]),
  VERIFY_URL_TEMPLATE: linkTemplate,
  RESET_URL_TEMPLATE: linkTemplate,
  RATE_LIMITS_ENABLED: bool(true),
  RATE_LIMIT_STORE_TIMEOUT_MS: intIn(5, 5000, 100),
  RATE_LIMIT_IP_PER_MINUTE: intIn(1, 1_000_000_000, 60),
  RATE_LIMIT_IP_PER_HOUR: intIn(1, 1_000_000_000, 1000),
  RATE_LIMIT_LOGIN_PER_MINUTE: intIn(1, 1_000_000, 5),
  RATE_LIMIT_REGISTER_PER_HOUR: intIn(1, 1_000_000, 10),
  RATE_LIMIT_EMAIL_PER_HOUR: intIn(1, 1_000_000, 3),
  RATE_LIMIT_USER_PER_MINUTE: intIn(1, 1_000_000_000, 100),
  RATE_LIMIT_API_KEY_PER_MINUTE: intIn(1, 1_000_000_000, 600),
  RATE_LIMIT_METRICS_PER_MINUTE: intIn(1, 1_000_000_000, 60),
  CUSTODY_ROUND_TIMEOUT_MS: intIn(100, 24 * 3_600_000, 600_000),
  CUSTODY_MAX_ROUND_ATTEMPTS: intIn(1, 20, 3),
  CUSTODY_INVITATION_TTL_HOURS: intIn(1, 30 * 24, 72),
  WS_MAX_CONNECTIONS_PER_USER: intIn(1, 100, 3),
  WS_MAX_MESSAGE_BYTES: intIn(1024, 1024 * 1024, 64 * 1024),
  WS_MESSAGES_PER_SECOND: intIn(1, 10_000, 20),
  WS_HEARTBEAT_MS: intIn(50, 600_000, 30_000),
  WS_AUTH_TIMEOUT_MS: intIn(50, 600_000, 10_000),
  WS_STRIKE_LIMIT: intIn(1, 1000, 10),
  GOVERNANCE_CHAIN_ID: intIn(1, 2 ** 53 - 1, 1),
  GOVERNANCE_SOLANA_CLUSTER: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,32}$/)
    .default("mainnet"),
  GOVERNANCE_CHALLENGE_TTL_SECONDS: intIn(30, 3600, 300),
  GOVERNANCE_MIN_VOTING_SECONDS: intIn(1, 30 * 86_400, 3600),
  GOVERNANCE_TIMELOCK_SECONDS: intIn(0, 30 * 86_400, 24 * 3600),
  GOVERNANCE_HIGH_RISK_TIMELOCK_SECONDS: intIn(0, 90 * 86_400, 72 * 3600),
  GOVERNANCE_SIGNED_AT_SKEW_SECONDS: intIn(5, 3600, 300),
  LEDGER_ENABLED: bool(true),
  CHECKPOINT_ORIGIN: z
    .string()
    .trim()
    .regex(/^[^\s+]{1,200}$/, "no spaces or + (it is also the signing key's name)")
    .optional(),
  CHECKPOINT_WITNESS_DIR: optionalText,
  CHECKPOINT_INTERVAL_MS: intIn(50, 1000, 1000),
  CHECKPOINT_EVERY_EVENTS: intIn(1, 1000, 1000),
  RETENTION_INTERVAL_MINUTES: intIn(0, 7 * 24 * 60, 60),
  RETENTION_SECURITY_SIGNALS_DAYS: intIn(1, 3650, 90),
  RETENTION_RATE_LIMIT_EVIDENCE_DAYS: intIn(1, 3650, 30),
  RETENTION_SESSIONS_DAYS: intIn(1, 3650, 30),
  RETENTION_EMAIL_TOKENS_DAYS: intIn(1, 3650, 7),
  RETENTION_MFA_CHALLENGES_DAYS: intIn(1, 3650, 1),
});

/** Decodes standard or URL-safe base64; undefined when it is not base64. */
function decodeBase64(s: string): Uint8Array | undefined {
  const std = s.replaceAll("-", "+").replaceAll("_", "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) return undefined;
  try {
    return Uint8Array.from(atob(std.padEnd(Math.ceil(std.length / 4) * 4, "=")), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Why a key is unusable, or undefined when it looks like 32 random bytes. */
function keyProblem(raw: string, label = "ENCRYPTION_KEY"): string | undefined {
  const key = decodeBase64(raw);
  if (!key) return `${label}: must be base64`;
  if (key.length !== 32) return `${label}: must decode to 32 bytes, got ${key.length}`;
  // A random key has ~30 distinct bytes; a handful means a placeholder such as all zeros.
  if (new Set(key).size < 16)
    return `${label}: too weak (not random); generate one with \`openssl rand -base64 32\``;
  return undefined;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * ENCRYPTION_KEY as a ring: one base64 key (id `k1`), or `id:base64,id:base64`
 * with the current key first. Problems name the entry, never its material.
 */
function parseKeyring(raw: string): { keys: { id: string; key: Uint8Array }[]; problems: string[] } {
  if (!raw.includes(":")) {
    const problem = keyProblem(raw);
    return problem
      ? { keys: [], problems: [problem] }
      : { keys: [{ id: "k1", key: decodeBase64(raw)! }], problems: [] };
  }
  const keys: { id: string; key: Uint8Array }[] = [];
  const problems: string[] = [];
  raw.split(",").forEach((entry, i) => {
    const sep = entry.indexOf(":");
    const id = entry.slice(0, Math.max(0, sep)).trim();
    const label = `ENCRYPTION_KEY entry ${i + 1}`;
    if (sep <= 0 || !KEY_ID.test(id)) {
      problems.push(`${label}: expected id:base64 (id of letters, digits, _ or -)`);
      return;
    }
    if (keys.some((k) => k.id === id)) problems.push(`${label}: duplicate key id "${id}"`);
    const material = entry.slice(sep + 1).trim();
    const problem = keyProblem(material, `${label} ("${id}")`);
    if (problem) problems.push(problem);
    else keys.push({ id, key: decodeBase64(material)! });
  });
  return { keys, problems };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`FOO=` in a .env file) means "not set", as with most tooling.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in schema.shape && v !== undefined && v.trim() !== ""),
  );
  const parsed = schema.safeParse(cleaned);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);

  const isProd = (cleaned.NODE_ENV ?? "development") === "production";
  const rawKey = cleaned.ENCRYPTION_KEY;
  const ring = rawKey === undefined ? undefined : parseKeyring(rawKey);
  if (ring) problems.push(...ring.problems);
  if (isProd) {
    if (rawKey === undefined)
      problems.push("ENCRYPTION_KEY: required in production (32 random bytes, base64)");
    if (cleaned.DATABASE_URL === undefined)
      problems.push("DATABASE_URL: required in production (embedded PGlite is for development only)");
    // The in-process queue and the outbox lose or hide mail: development only.
    if (cleaned.REDIS_URL === undefined)
      problems.push(
        "REDIS_URL: required in production (jobs, rate limits and revocations must survive restarts)",
      );
    if (cleaned.SMTP_URL === undefined)
      problems.push("SMTP_URL: required in production (the mail outbox is for development)");
    // Open, /metrics tells anyone whether they have been detected, and costs a scrape each time.
    if (cleaned.METRICS_TOKEN === undefined)
      problems.push(
        "METRICS_TOKEN: required in production (16+ random characters; scrapers send it as a bearer token)",
      );
    if (/(^|,)\s*\*\s*(,|$)/.test(cleaned.CORS_ORIGINS ?? ""))
      problems.push("CORS_ORIGINS: `*` is refused in production; list the allowed origins");
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? "http://localhost:3000").replace(/\/+$/, "");
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    exportDir: e.EXPORT_DIR,
    redisUrl: e.REDIS_URL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === "test" ? "silent" : "info"),
    corsOrigins: e.CORS_ORIGINS,
    trustedProxies: e.TRUSTED_PROXIES,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    encryptionKey: ring?.keys[0]?.key,
    encryptionKeys: ring?.keys,
    adminRequireMfa: e.ADMIN_REQUIRE_MFA,
    runWorkersInProcess: e.RUN_WORKERS_IN_PROCESS,
    metricsToken: e.METRICS_TOKEN,
    metricsCacheMs: e.METRICS_CACHE_SECONDS * 1000,
    redisPrefix: e.REDIS_PREFIX,
    securityEmail: e.SECURITY_EMAIL,
    publicUrl,
    hostedPages: e.HOSTED_PAGES,
    auth: {
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      lockoutThreshold: e.LOCKOUT_THRESHOLD,
      lockoutSeconds: e.LOCKOUT_MINUTES * 60,
      maxSessionsPerUser: e.MAX_SESSIONS_PER_USER,
      idleTimeoutSeconds: e.SESSION_IDLE_MINUTES * 60,
      adminIdleTimeoutSeconds: e.SESSION_IDLE_MINUTES_ADMIN * 60,
      requireEmailVerification:
        e.REQUIRE_EMAIL_VERIFICATION === undefined
          ? e.NODE_ENV === "production"
          : ["true", "1", "yes"].includes(e.REQUIRE_EMAIL_VERIFICATION),
      emailVerificationTtlSeconds: e.EMAIL_VERIFICATION_TTL_HOURS * 3600,
      passwordResetTtlSeconds: e.PASSWORD_RESET_TTL_MINUTES * 60,
      verifyUrlTemplate: e.VERIFY_URL_TEMPLATE ?? `${publicUrl}/verify-email?token={token}`,
      resetUrlTemplate: e.RESET_URL_TEMPLATE ?? `${publicUrl}/reset-password?token={token}`,
      passwordHashWorkers: e.PASSWORD_HASH_WORKERS,
      passwordHashQueue: e.PASSWORD_HASH_QUEUE,
      passwordHashNice: e.PASSWORD_HASH_NICE,
      passwordHashBackend: e.PASSWORD_HASH_BACKEND,
    },
    rateLimit: {
      enabled: e.RATE_LIMITS_ENABLED,
      storeTimeoutMs: e.RATE_LIMIT_STORE_TIMEOUT_MS,
      policies: {
        ipMinute: { limit: e.RATE_LIMIT_IP_PER_MINUTE, windowMs: MINUTE },
        ipHour: { limit: e.RATE_LIMIT_IP_PER_HOUR, windowMs: HOUR },
        login: { limit: e.RATE_LIMIT_LOGIN_PER_MINUTE, windowMs: MINUTE },
        register: { limit: e.RATE_LIMIT_REGISTER_PER_HOUR, windowMs: HOUR },
        email: { limit: e.RATE_LIMIT_EMAIL_PER_HOUR, windowMs: HOUR },
        user: { limit: e.RATE_LIMIT_USER_PER_MINUTE, windowMs: MINUTE },
        apiKey: { limit: e.RATE_LIMIT_API_KEY_PER_MINUTE, windowMs: MINUTE },
        metrics: { limit: e.RATE_LIMIT_METRICS_PER_MINUTE, windowMs: MINUTE },
      },
    },
    custody: {
      roundTimeoutMs: e.CUSTODY_ROUND_TIMEOUT_MS,
      maxRoundAttempts: e.CUSTODY_MAX_ROUND_ATTEMPTS,
      invitationTtlSeconds: e.CUSTODY_INVITATION_TTL_HOURS * 3600,
    },
    custodySocket: {
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      messagesPerSecond: e.WS_MESSAGES_PER_SECOND,
      heartbeatMs: e.WS_HEARTBEAT_MS,
      authTimeoutMs: e.WS_AUTH_TIMEOUT_MS,
      strikeLimit: e.WS_STRIKE_LIMIT,
    },
    governance: {
      chainId: e.GOVERNANCE_CHAIN_ID,
      solanaCluster: e.GOVERNANCE_SOLANA_CLUSTER,
      domain: new URL(publicUrl).host,
      uri: publicUrl,
      challengeTtlSeconds: e.GOVERNANCE_CHALLENGE_TTL_SECONDS,
      minVotingSeconds: e.GOVERNANCE_MIN_VOTING_SECONDS,
      timelockSeconds: e.GOVERNANCE_TIMELOCK_SECONDS,
      highRiskTimelockSeconds: e.GOVERNANCE_HIGH_RISK_TIMELOCK_SECONDS,
      signedAtSkewSeconds: e.GOVERNANCE_SIGNED_AT_SKEW_SECONDS,
    },
    ledger: {
      enabled: e.LEDGER_ENABLED,
      origin: e.CHECKPOINT_ORIGIN ?? `${new URL(publicUrl).host}/vigil-ledger`,
      witnessDir: e.CHECKPOINT_WITNESS_DIR,
      checkpointIntervalMs: e.CHECKPOINT_INTERVAL_MS,
      checkpointEveryEvents: e.CHECKPOINT_EVERY_EVENTS,
    },
    retention: {
      intervalMs: e.RETENTION_INTERVAL_MINUTES * MINUTE,
      securitySignalsDays: e.RETENTION_SECURITY_SIGNALS_DAYS,
      rateLimitEvidenceDays: e.RETENTION_RATE_LIMIT_EVIDENCE_DAYS,
      sessionsDays: e.RETENTION_SESSIONS_DAYS,
      emailTokensDays: e.RETENTION_EMAIL_TOKENS_DAYS,
      mfaChallengesDays: e.RETENTION_MFA_CHALLENGES_DAYS,
    },
  };
}
