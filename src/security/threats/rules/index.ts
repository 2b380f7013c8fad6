/**
 * Every threat rule, with what triggers it and which window of recent events
 * the analyzer loads for it (from the `security_signals` projection):
 *
 * - `by: "ip"`: events of `types` from the trigger's address (IPv4, IPv6 /64);
 * - `by: "account"`: events of `types` about the trigger's account;
 * - `by: "type"`: events of `types` from anyone;
 * - `by: "none"`: the trigger alone.
 *
 * `periodMs` null loads the subject's whole history (newest 500 events).
 * `role`: the rule runs only when the trigger's user holds that role.
 */
import type { Rule } from "../types.ts";
import { adminNewDevice } from "./admin-new-device.ts";
import { BRUTE_FORCE, bruteForce } from "./brute-force.ts";
import { CREDENTIAL_STUFFING, credentialStuffing } from "./credential-stuffing.ts";

import {
  CUSTODY_ROUND_TIMEOUTS,
  custodyCommitmentReuse,
  custodyInvalidShare,
  custodyRoundTimeouts,
} from "./custody.ts";
import { VETO_STORM, VOTE_REFUSALS, vetoStorm, voteRefusals } from "./governance.ts";
import {
  GUARDIAN_CONNECTIONS,
  GUARDIAN_SOCKET_CONNECTIONS,
  guardianConnections,
} from "./guardian-connections.ts";

import { IP_BAN, ipBan } from "./ip-ban.ts";
import { LOCKOUT_STORM, lockoutStorm } from "./lockout-storm.ts";
import { RATE_LIMIT_BURST, rateLimitBurst } from "./rate-limit-burst.ts";
import { SOCKET_AUTH_FAILURES, socketAuthFailures } from "./socket-auth-failures.ts";
import { refreshTokenReuse } from "./token-reuse.ts";
import { TWO_FACTOR_FAILURE_TYPES, TWO_FACTOR_FAILURES, twoFactorFailures } from "./two-factor-failures.ts";

export { TWO_FACTOR_FAILURE_TYPES } from "./two-factor-failures.ts";

export interface WindowSpec {
  by: "ip" | "account" | "type" | "none";
  types: readonly string[];
  periodMs: number | null;
}

export interface RuleSpec {
  name: string;
  triggers: readonly string[];
  window: WindowSpec;
  role?: "admin" | "guardian";
  evaluate: Rule;
}

const SESSION_TTL_MS = 7 * 24 * 3_600_000;
/** A socket open longer than this is forgotten by the rule (a crashed instance never writes its close). */
const SOCKET_WINDOW_MS = 12 * 3_600_000;

export const RULES: readonly RuleSpec[] = [
  {
    name: "brute_force",
    triggers: ["LoginFailed"],
    window: { by: "account", types: ["LoginFailed"], periodMs: BRUTE_FORCE.periodMs },
    evaluate: bruteForce,
  },
  {
    name: "credential_stuffing",
    triggers: ["LoginFailed"],
    window: { by: "ip", types: ["LoginFailed"], periodMs: CREDENTIAL_STUFFING.periodMs },
    evaluate: credentialStuffing,
  },
  {
    name: "ip_ban",
    triggers: ["LoginFailed"],
    window: { by: "ip", types: ["LoginFailed"], periodMs: IP_BAN.periodMs },
    evaluate: ipBan,
  },
  {
    name: "refresh_token_reuse",
    triggers: ["RefreshTokenReuseDetected"],
    window: { by: "none", types: [], periodMs: 0 },
    evaluate: refreshTokenReuse,
  },
  {
    name: "lockout_storm",
    triggers: ["AccountLocked"],
    window: { by: "type", types: ["AccountLocked"], periodMs: LOCKOUT_STORM.periodMs },
    evaluate: lockoutStorm,
  },
  {
    name: "rate_limit_burst",
    triggers: ["RateLimitExceeded"],
    window: { by: "ip", types: ["RateLimitExceeded"], periodMs: RATE_LIMIT_BURST.periodMs },
    evaluate: rateLimitBurst,
  },
  {
    name: "two_factor_failures",
    triggers: TWO_FACTOR_FAILURE_TYPES,
    window: { by: "account", types: TWO_FACTOR_FAILURE_TYPES, periodMs: TWO_FACTOR_FAILURES.periodMs },
    evaluate: twoFactorFailures,
  },
  {
    name: "admin_new_device",
    triggers: ["LoginSucceeded"],
    window: { by: "account", types: ["LoginSucceeded"], periodMs: null },
    role: "admin",
    evaluate: adminNewDevice,
  },
  {
    name: "guardian_connections",
    triggers: GUARDIAN_CONNECTIONS.starts,
    window: {
      by: "account",
      types: [...GUARDIAN_CONNECTIONS.starts, ...GUARDIAN_CONNECTIONS.ends],
      periodMs: SESSION_TTL_MS,
    },
    role: "guardian",
    evaluate: guardianConnections(),
  },
  {
    name: "custody_invalid_share",
    triggers: ["SignatureShareRejected"],
    window: { by: "none", types: [], periodMs: 0 },
    evaluate: custodyInvalidShare,
  },
  {
    name: "custody_commitment_reuse",
    triggers: ["NonceCommitmentRefused"],
    window: { by: "none", types: [], periodMs: 0 },
    evaluate: custodyCommitmentReuse,
  },
  {
    name: "custody_round_timeouts",
    triggers: ["SigningRoundTimedOut"],
    window: { by: "type", types: ["SigningRoundTimedOut"], periodMs: CUSTODY_ROUND_TIMEOUTS.periodMs },
    evaluate: custodyRoundTimeouts,
  },
  {
    // Custody sockets: whoever connects is a vault's guardian (or an admin), whatever their role.
    name: "guardian_socket_connections",
    triggers: GUARDIAN_SOCKET_CONNECTIONS.starts,
    window: {
      by: "account",
      types: [...GUARDIAN_SOCKET_CONNECTIONS.starts, ...GUARDIAN_SOCKET_CONNECTIONS.ends],
      periodMs: SOCKET_WINDOW_MS,
    },
    evaluate: guardianConnections(GUARDIAN_SOCKET_CONNECTIONS),
  },
  {
    name: "socket_auth_failures",
    triggers: ["SocketAuthenticationFailed"],
    window: { by: "ip", types: ["SocketAuthenticationFailed"], periodMs: SOCKET_AUTH_FAILURES.periodMs },
    evaluate: socketAuthFailures,
  },
  {
    name: "veto_storm",
    triggers: ["GuardianVetoCast"],
    window: { by: "type", types: ["GuardianVetoCast"], periodMs: VETO_STORM.periodMs },
    evaluate: vetoStorm,
  },
  {
    name: "vote_refusals",
    triggers: ["VoteRefused"],
    window: { by: "account", types: ["VoteRefused"], periodMs: VOTE_REFUSALS.periodMs },
    evaluate: voteRefusals,
  },
];

/** Event types that trigger an analysis: the dispatcher routes these to `threat.analyze`. */
export const THREAT_TRIGGER_TYPES: readonly string[] = [...new Set(RULES.flatMap((r) => r.triggers))];

/** Event types some window reads: the `security_signals` projection records these. */
export const SIGNAL_TYPES: readonly string[] = [
  ...new Set(RULES.flatMap((r) => [...r.triggers, ...r.window.types])),
];
