/**
 * Drizzle schema: the source drizzle-kit generates migrations from. The event
 * store itself talks raw SQL (db/client.ts); these definitions keep the tables,
 * their types and their indexes in one reviewed place.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array }>({ dataType: () => "bytea" });
/** 64-bit transaction id: the order in which the log is read (see events/store.ts). */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

export const streams = pgTable("streams", {
  streamId: text("stream_id").primaryKey(),
  streamType: text("stream_type").notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
  headHash: bytea("head_hash"),
});

export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    txId: xid8("tx_id").notNull().default(sql`pg_current_xact_id()`),
    streamId: text("stream_id").notNull(),
    streamVersion: bigint("stream_version", { mode: "number" }).notNull(),
    eventId: uuid("event_id").notNull().unique(),
    type: text("type").notNull(),
    schemaVersion: smallint("schema_version").notNull(),
    data: jsonb("data").notNull(),
    metadata: jsonb("metadata").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true, precision: 3 }).notNull(),
    prevHash: bytea("prev_hash").notNull(),
    hash: bytea("hash").notNull(),
  },
  // Three indexes and no more: each costs work on every append. The stream key
  // doubles as the primary key; (tx_id, id) is the log's read order.
  (t) => [
    primaryKey({ name: "events_pkey", columns: [t.streamId, t.streamVersion] }),
    uniqueIndex("events_tx_id_id_key").on(t.txId, t.id),
  ],
);

/** Where each async consumer (projection, dispatcher) has read up to, as a log position. */
export const checkpoints = pgTable("checkpoints", {
  name: text("name").primaryKey(),
  txId: xid8("tx_id").notNull(),
  eventId: bigint("event_id", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Async projection `event_stats`: events appended per type and hour (feeds /metrics). */
export const eventStats = pgTable(
  "event_stats",
  {
    type: text("type").notNull(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.type, t.hour] })],
);

/**
 * Inline projection `users` (projections/users.ts). The unique index on
 * lower(email) is what refuses the loser of a racing registration. `version` is
 * the user stream's version, so commands read state here and append at it.
 */
export const users = pgTable(
  "users",
  {
    userId: uuid("user_id").primaryKey(),
    email: text("email").notNull(),
    displayName: text("display_name"),
    roles: jsonb("roles").$type<string[]>().notNull(),
    status: text("status").$type<"active" | "disabled">().notNull(),
    emailVerified: boolean("email_verified").notNull(),
    passwordHash: text("password_hash").notNull(),
    failedLogins: integer("failed_logins").notNull(),
    lockedUntil: timestamp("locked_until", { withTimezone: true, precision: 3 }),
    version: bigint("version", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  // Erased accounts all read `[erased]`; the address stays unique among the rest.
  (t) => [
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`).where(sql`${t.email} <> '[erased]'`),
  ],
);

/** Inline projection `sessions` (projections/sessions.ts); `version` is the session stream's. */
export const sessions = pgTable(
  "sessions",
  {
    sessionId: uuid("session_id").primaryKey(),
    userId: uuid("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    /** Last start or refresh (from the log); per-request activity lives in the SessionGuard. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, precision: 3 }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
    revokeReason: text("revoke_reason"),
    refreshTokenHash: text("refresh_token_hash").notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId, t.createdAt)],
);

/** Every refresh token a session ever had, by hash: a spent one presented again is reuse. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: uuid("session_id").notNull(),
    spent: boolean("spent").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("refresh_tokens_session_id_idx").on(t.sessionId)],
);

/**
 * Inline projection `email_tokens` (projections/email-tokens.ts): single-use
 * verification and password-reset tokens by SHA-256 of the token. `status` is
 * pending | used | superseded | cancelled; expiry is checked against `expires_at`.
 */
export const emailTokens = pgTable(
  "email_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id").notNull(),
    purpose: text("purpose").$type<"verify_email" | "password_reset">().notNull(),
    email: text("email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    status: text("status").$type<"pending" | "used" | "superseded" | "cancelled">().notNull(),
    closedAt: timestamp("closed_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [index("email_tokens_user_purpose_idx").on(t.userId, t.purpose)],
);

/**
 * JWT signing keys (src/auth/jwt-key-store.ts). Not a projection: keys are
 * secrets and never enter the log. Private keys are AES-256-GCM encrypted with
 * the ENCRYPTION_KEY keyring.
 */
export const jwtKeys = pgTable("jwt_keys", {
  kid: text("kid").primaryKey(),
  privateJwkEncrypted: text("private_jwk_encrypted").notNull(),
  publicJwk: jsonb("public_jwk").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
  retiredAt: timestamp("retired_at", { withTimezone: true, precision: 3 }),
});

/**
 * Inline projection `security_signals` (projections/security-signals.ts): one
 * narrow row per event the threat rules look at, so a rule's window is an
 * index range scan joined to `events` by its key, never a scan of the log.
 * `ip` is the client's address as limits see it (IPv4, or the IPv6 /64);
 * `account` is the user id, or `email:<sha256>` for failures on unknown emails.
 */
export const securitySignals = pgTable(
  "security_signals",
  {
    eventId: uuid("event_id").primaryKey(),
    streamId: text("stream_id").notNull(),
    streamVersion: bigint("stream_version", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    ip: text("ip"),
    account: text("account"),
  },
  (t) => [
    index("security_signals_ip_idx").on(t.ip, t.at),
    index("security_signals_account_idx").on(t.account, t.at),
    index("security_signals_type_idx").on(t.type, t.at),
  ],
);

/** Inline projection `ip_bans` (projections/ip-bans.ts): one row per banned address (IPv4 or IPv6 /64). */
export const ipBans = pgTable("ip_bans", {
  ip: text("ip").primaryKey(),
  until: timestamp("until", { withTimezone: true, precision: 3 }).notNull(),
  reason: text("reason").notNull(),
  failures: integer("failures").notNull(),
  bannedAt: timestamp("banned_at", { withTimezone: true, precision: 3 }).notNull(),
  liftedAt: timestamp("lifted_at", { withTimezone: true, precision: 3 }),
  liftedBy: text("lifted_by"),
  liftReason: text("lift_reason"),
  version: bigint("version", { mode: "number" }).notNull(),
});

/** Inline projection `alerts` (projections/alerts.ts): threat alerts and their lifecycle. */
export const alerts = pgTable(
  "alerts",
  {
    alertId: text("alert_id").primaryKey(),
    rule: text("rule").notNull(),
    severity: text("severity").$type<"low" | "medium" | "high" | "critical">().notNull(),
    subject: text("subject").notNull(),
    summary: text("summary").notNull(),
    status: text("status").$type<"open" | "acknowledged" | "resolved">().notNull(),
    eventIds: jsonb("event_ids").$type<string[]>().notNull(),
    raisedAt: timestamp("raised_at", { withTimezone: true, precision: 3 }).notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true, precision: 3 }),
    acknowledgedNote: text("acknowledged_note"),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, precision: 3 }),
    resolvedNote: text("resolved_note"),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [index("alerts_raised_at_idx").on(t.raisedAt, t.alertId)],
);

/**
 * Inline projection `api_keys` (projections/api-keys.ts): one row per key, found
 * by the SHA-256 of the whole key. The key itself is never stored; `prefix` is
 * its first characters, for people to recognise it in a list.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    keyId: uuid("key_id").primaryKey(),
    userId: uuid("user_id").notNull(),
    name: text("name").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
    revokeReason: text("revoke_reason"),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    index("api_keys_user_id_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * Last use of each API key (src/api-keys/authenticate.ts). Not a projection and
 * not from the log: a request is not a fact worth an event, so this is a plain
 * UPDATE at most once a minute per key. Rebuilds and replay leave it alone.
 */
export const apiKeyUsage = pgTable("api_key_usage", {
  keyId: uuid("key_id").primaryKey(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true, precision: 3 }).notNull(),
  lastUsedIp: text("last_used_ip"),
});

/**
 * Inline projection `mfa` (projections/mfa.ts): each user's second factor as the
 * log states it: enabled or not, the key id sealing the secret, the last TOTP
 * time step accepted (replay guard), backup code hashes (null once used) and the
 * recent failures (the 5-per-15-minutes limit). `version` is the `mfa-<user>` stream's.
 */
export const mfaFactors = pgTable("mfa_factors", {
  userId: uuid("user_id").primaryKey(),
  totpEnabled: boolean("totp_enabled").notNull(),
  enabledAt: timestamp("enabled_at", { withTimezone: true, precision: 3 }),
  secretKeyId: text("secret_key_id"),
  lastTimeStep: bigint("last_time_step", { mode: "number" }),
  backupSalt: text("backup_salt"),
  backupHashes: jsonb("backup_hashes").$type<(string | null)[]>().notNull(),
  recentFailures: jsonb("recent_failures").$type<string[]>().notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
});

/** Inline projection `mfa`: login challenges (the mfaToken, by SHA-256), single use. */
export const mfaChallenges = pgTable(
  "mfa_challenges",
  {
    challengeHash: text("challenge_hash").primaryKey(),
    userId: uuid("user_id").notNull(),
    deviceTrusted: boolean("device_trusted").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [index("mfa_challenges_user_id_idx").on(t.userId)],
);

/**
 * TOTP secrets, AES-256-GCM sealed with the ENCRYPTION_KEY keyring (the key id
 * is inside each ciphertext). Not a projection: a secret is not a fact and never
 * enters the log; the `mfa` projection rebuilds without it. Written by the MFA
 * commands in the same transaction as their events; `keys rotate-encryption`
 * re-seals it under the current key.
 */
export const totpSecrets = pgTable("totp_secrets", {
  userId: uuid("user_id").primaryKey(),
  pendingSecret: text("pending_secret"),
  pendingCreatedAt: timestamp("pending_created_at", { withTimezone: true, precision: 3 }),
  activeSecret: text("active_secret"),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
});

/**
 * Data keys of the people in the log (crypto-shredding, events/pii.ts): one
 * AES-256 key per subject (`user-<uuid>`), wrapped with ENCRYPTION_KEY. Not a
 * projection and never in the log: erasing a subject sets `wrapped` to NULL
 * (the row stays as a tombstone, so nothing new is sealed for them).
 */
export const subjectKeys = pgTable("subject_keys", {
  subject: text("subject").primaryKey(),
  wrapped: text("wrapped"),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  erasedAt: timestamp("erased_at", { withTimezone: true, precision: 3 }),
});

/**
 * Emails the workers sent (workers/sent-emails.ts), by job id: written after
 * the SMTP server accepted the message, read before sending, so a retried job
 * does not send twice. Not a projection: a delivery receipt, not a fact of the log.
 */
export const sentEmails = pgTable("sent_emails", {
  jobId: text("job_id").primaryKey(),
  messageId: text("message_id").notNull(),
  sentAt: timestamp("sent_at", { withTimezone: true, precision: 3 }).notNull(),
});

/**
 * Custody read models (projections/custody.ts), all inline: vaults, their
 * guardians (what `canAccessVault` reads), invitations by code hash, every
 * nonce commitment ever seen (the primary key refuses a reuse even in a race),
 * and transactions by vault.
 */
export const custodyVaults = pgTable("custody_vaults", {
  vaultId: uuid("vault_id").primaryKey(),
  name: text("name").notNull(),
  ciphersuite: text("ciphersuite").notNull(),
  threshold: integer("threshold").notNull(),
  participants: integer("participants").notNull(),
  status: text("status").notNull(),
  statusReason: text("status_reason"),
  groupPublicKey: text("group_public_key"),
  keyMethod: text("key_method"),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
  version: bigint("version", { mode: "number" }).notNull(),
});

export const custodyGuardians = pgTable(
  "custody_guardians",
  {
    vaultId: uuid("vault_id").notNull(),
    userId: uuid("user_id").notNull(),
    identifier: text("identifier").notNull(),
    joinedAt: timestamp("joined_at", { withTimezone: true, precision: 3 }).notNull(),
    removedAt: timestamp("removed_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    primaryKey({ name: "custody_guardians_pk", columns: [t.vaultId, t.userId] }),
    index("custody_guardians_user_idx").on(t.userId),
  ],
);

export const custodyInvitations = pgTable(
  "custody_invitations",
  {
    invitationId: uuid("invitation_id").primaryKey(),
    vaultId: uuid("vault_id").notNull(),
    codeHash: text("code_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    redeemedBy: uuid("redeemed_by"),
    redeemedAt: timestamp("redeemed_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex("custody_invitations_code_hash_key").on(t.codeHash)],
);

export const custodyCommitments = pgTable("custody_commitments", {
  commitment: text("commitment").primaryKey(),
  txId: uuid("tx_id").notNull(),
  round: integer("round").notNull(),
  userId: uuid("user_id").notNull(),
  seenAt: timestamp("seen_at", { withTimezone: true, precision: 3 }).notNull(),
});

export const custodyTransactions = pgTable(
  "custody_transactions",
  {
    txId: uuid("tx_id").primaryKey(),
    vaultId: uuid("vault_id").notNull(),
    status: text("status").notNull(),
    round: integer("round").notNull(),
    proposedBy: uuid("proposed_by").notNull(),
    proposedAt: timestamp("proposed_at", { withTimezone: true, precision: 3 }).notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [index("custody_transactions_vault_idx").on(t.vaultId, t.status)],
);

/**
 * Governance (src/governance, migration 0009). Inline projections: `wallets`
 * (an address belongs to one user at most: the unique index refuses a second
 * link inside the append), `governance_power` (current voting power; the
 * snapshot power comes from the log), `governance_proposals`, and
 * `governance_votes` (one vote per user and proposal: the unique index decides
 * a race). Async: `governance_tallies`, live while voting is open.
 */
export const wallets = pgTable(
  "wallets",
  {
    walletId: uuid("wallet_id").primaryKey(),
    userId: uuid("user_id").notNull(),
    chain: text("chain").notNull(),
    address: text("address").notNull(),
    linkedAt: timestamp("linked_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex("wallets_chain_address_key").on(t.chain, t.address),
    index("wallets_user_id_idx").on(t.userId),
  ],
);

export const governancePower = pgTable("governance_power", {
  userId: uuid("user_id").primaryKey(),
  power: bigint("power", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
});

export const governanceProposals = pgTable(
  "governance_proposals",
  {
    proposalId: uuid("proposal_id").primaryKey(),
    proposerId: uuid("proposer_id").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    kind: text("kind").notNull(),
    choices: jsonb("choices").$type<string[]>().notNull(),
    votingStartsAt: timestamp("voting_starts_at", { withTimezone: true, precision: 3 }).notNull(),
    votingEndsAt: timestamp("voting_ends_at", { withTimezone: true, precision: 3 }).notNull(),
    quorumPercent: integer("quorum_percent").notNull(),
    thresholdPercent: integer("threshold_percent").notNull(),
    timelockSeconds: integer("timelock_seconds").notNull(),
    state: text("state").notNull(),
    snapshotTxId: text("snapshot_tx_id"),
    snapshotId: bigint("snapshot_id", { mode: "number" }),
    totalPower: bigint("total_power", { mode: "number" }),
    result: jsonb("result"),
    timelockEndsAt: timestamp("timelock_ends_at", { withTimezone: true, precision: 3 }),
    timelockEnded: boolean("timelock_ended").notNull().default(false),
    vetoes: jsonb("vetoes").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    approvals: jsonb("approvals").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    cancelReason: text("cancel_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [index("governance_proposals_state_idx").on(t.state, t.createdAt)],
);

export const governanceVotes = pgTable(
  "governance_votes",
  {
    voteId: uuid("vote_id").primaryKey(),
    proposalId: uuid("proposal_id").notNull(),
    userId: uuid("user_id").notNull(),
    chain: text("chain").notNull(),
    wallet: text("wallet").notNull(),
    choice: text("choice").notNull(),
    power: bigint("power", { mode: "number" }).notNull(),
    signedAt: bigint("signed_at", { mode: "number" }).notNull(),
    reason: text("reason").notNull(),
    signature: text("signature").notNull(),
    chainId: text("chain_id").notNull(),
    castAt: timestamp("cast_at", { withTimezone: true, precision: 3 }).notNull(),
    txId: text("tx_id").notNull(),
    eventPos: bigint("event_pos", { mode: "number" }).notNull(),
  },
  (t) => [uniqueIndex("governance_votes_proposal_user_key").on(t.proposalId, t.userId)],
);

export const governanceTallies = pgTable(
  "governance_tallies",
  {
    proposalId: uuid("proposal_id").notNull(),
    choice: text("choice").notNull(),
    power: bigint("power", { mode: "number" }).notNull(),
    votes: integer("votes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.proposalId, t.choice], name: "governance_tallies_pkey" })],
);

/**
 * The ledger (events/ledger/sequencer.ts): each event's dense position in log
 * order. Written only by the sequencer, in the same transaction as its checkpoint.
 */
export const ledgerEntries = pgTable("ledger_entries", {
  position: bigint("position", { mode: "number" }).primaryKey(),
  eventId: uuid("event_id").notNull().unique("ledger_entries_event_id_key"),
  logTxId: xid8("log_tx_id").notNull(),
  logId: bigint("log_id", { mode: "number" }).notNull(),
});

/** The RFC 6962 tree's complete subtrees: `(level, idx)` covers leaves [idx·2^level, (idx+1)·2^level). */
export const ledgerNodes = pgTable(
  "ledger_nodes",
  {
    level: smallint("level").notNull(),
    idx: bigint("idx", { mode: "number" }).notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [primaryKey({ name: "ledger_nodes_pkey", columns: [t.level, t.idx] })],
);

/** Signed checkpoints (C2SP tlog-checkpoint in a signed note), one per tree size. */
export const ledgerCheckpoints = pgTable(
  "ledger_checkpoints",
  {
    treeSize: bigint("tree_size", { mode: "number" }).primaryKey(),
    rootHash: bytea("root_hash").notNull(),
    note: text("note").notNull(),
    keyId: text("key_id").notNull(),
    signedAt: timestamp("signed_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("ledger_checkpoints_signed_at_idx").on(t.signedAt)],
);

/**
 * Checkpoint signing keys (Ed25519), kept apart from the JWT keys. Secret keys
 * are sealed with the ENCRYPTION_KEY keyring, AAD bound to the key id.
 */
export const ledgerKeys = pgTable("ledger_keys", {
  keyId: text("key_id").primaryKey(),
  name: text("name").notNull(),
  publicKey: bytea("public_key").notNull(),
  secretKeyEncrypted: text("secret_key_encrypted").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
  retiredAt: timestamp("retired_at", { withTimezone: true, precision: 3 }),
});

/** Inline projection `audit_exports` (projections/audit-exports.ts): compliance exports and their outcome. */
export const auditExports = pgTable(
  "audit_exports",
  {
    exportId: uuid("export_id").primaryKey(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true, precision: 3 }).notNull(),
    rangeFrom: bigint("range_from", { mode: "number" }).notNull(),
    rangeTo: bigint("range_to", { mode: "number" }).notNull(),
    types: jsonb("types").$type<string[]>().notNull(),
    streams: jsonb("streams").$type<string[]>().notNull(),
    format: text("format").$type<"ndjson" | "csv">().notNull(),
    previousSize: bigint("previous_size", { mode: "number" }),
    status: text("status").$type<"queued" | "completed" | "failed">().notNull(),
    events: bigint("events", { mode: "number" }),
    bytes: bigint("bytes", { mode: "number" }),
    sha256: text("sha256"),
    checkpointSize: bigint("checkpoint_size", { mode: "number" }),
    latestSize: bigint("latest_size", { mode: "number" }),
    proof: text("proof").$type<"range" | "inclusion">(),
    error: text("error"),
    finishedAt: timestamp("finished_at", { withTimezone: true, precision: 3 }),
    downloads: integer("downloads").notNull().default(0),
    lastDownloadedAt: timestamp("last_downloaded_at", { withTimezone: true, precision: 3 }),
    version: bigint("version", { mode: "number" }).notNull(),
  },
  (t) => [index("audit_exports_requested_at_idx").on(t.requestedAt, t.exportId)],
);

/** How far a running export got; written by the export job (operational, not a projection). */
export const auditExportProgress = pgTable("audit_export_progress", {
  exportId: uuid("export_id").primaryKey(),
  done: bigint("done", { mode: "number" }).notNull(),
  total: bigint("total", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
});
