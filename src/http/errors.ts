/**
 * Vigil's one error vocabulary. Handlers throw `AppError(code)`; the table below
 * is the only place a code meets an HTTP status; `createErrorHandler` renders
 * every failure as RFC 9457 problem+json. Nothing from the exception itself
 * (stack, driver message, SQL) reaches the client: unknown errors become a
 * generic 500 and the detail goes to the log under the request id.
 */
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { ZodError } from "zod";
import { isDatabaseUnavailable } from "../../db/client.ts";
import { DeadlineExceededError } from "../../db/deadline.ts";
import { ConcurrencyError, EventValidationError } from "../../events/errors.ts";
import { HasherLostError, PoolBusyError } from "../crypto/worker-pool.ts";
import type { AppEnv } from "./env.ts";
import { type KeyShape, unknownKeys } from "./known-keys.ts";
import { fieldIssues } from "./messages.ts";
import { requestLogger } from "./request-logger.ts";

export const ERROR_CODES = {
  bad_request: { status: 400, title: "Bad request" },
  validation_failed: { status: 400, title: "Request validation failed" },
  malformed_json: { status: 400, title: "Malformed JSON body" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  precondition_failed: { status: 412, title: "Precondition failed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  invalid_event: { status: 422, title: "Event rejected by the catalogue" },
  unprocessable: { status: 422, title: "Unprocessable request" },
  precondition_required: { status: 428, title: "Precondition required" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal server error" },
  service_unavailable: { status: 503, title: "Service unavailable" },
  // 503, not 408: the server ran out of time, not the client (408 means a slow upload).
  request_timeout: { status: 503, title: "Request timed out" },
  // A WebSocket endpoint (/v1/custody/ws) asked without `Upgrade: websocket`.
  upgrade_required: { status: 426, title: "Upgrade required" },
  // Identity and sessions (src/identity, src/sessions, src/auth).
  email_taken: { status: 409, title: "Email already registered" },
  password_policy: { status: 400, title: "Password does not meet the policy" },
  invalid_credentials: { status: 401, title: "Invalid email or password" },
  // Password change: the signed-in user's current password is not the one given (the token is fine).
  wrong_password: { status: 400, title: "Wrong current password" },
  account_locked: { status: 423, title: "Account locked" },
  account_disabled: { status: 403, title: "Account disabled" },
  email_not_verified: { status: 403, title: "Email not verified" },
  token_invalid: { status: 401, title: "Invalid access token" },
  token_expired: { status: 401, title: "Access token expired" },
  session_revoked: { status: 401, title: "Session revoked" },
  invalid_refresh_token: { status: 401, title: "Invalid refresh token" },
  refresh_token_reused: { status: 401, title: "Refresh token reused" },
  // One code for unknown, expired, used and superseded email tokens: it reveals nothing.
  invalid_token: { status: 400, title: "Invalid or expired token" },
  // Access control, API keys and two-factor (src/access, src/api-keys, src/mfa, src/admin).
  api_key_malformed: { status: 401, title: "Malformed API key" },
  api_key_invalid: { status: 401, title: "Invalid API key" },
  api_key_expired: { status: 401, title: "API key expired" },
  api_key_revoked: { status: 401, title: "API key revoked" },
  reauthentication_required: { status: 401, title: "Recent login required" },
  mfa_required: { status: 403, title: "Two-factor authentication required" },
  mfa_token_invalid: { status: 401, title: "Invalid or expired MFA token" },
  mfa_code_invalid: { status: 401, title: "Invalid two-factor code" },
  mfa_not_enabled: { status: 409, title: "Two-factor authentication is not enabled" },
  mfa_already_enabled: { status: 409, title: "Two-factor authentication is already enabled" },
  mfa_setup_required: { status: 409, title: "Start two-factor setup first" },
  last_admin: { status: 409, title: "The last admin cannot be removed" },
  account_erased: { status: 409, title: "The account was erased" },
  // Security (src/security): an address banned after too many failed logins.
  ip_banned: { status: 403, title: "Address banned" },
  // Custody (src/custody): vaults, key generation, signing rounds.
  invalid_length: { status: 400, title: "Value has the wrong length" },
  invalid_point: { status: 422, title: "Not a valid curve point" },
  invalid_scalar: { status: 422, title: "Not a valid scalar" },
  invalid_address: { status: 400, title: "Invalid destination address" },
  invalid_amount: { status: 400, title: "Invalid amount" },
  invitation_invalid: { status: 400, title: "Invalid or expired invitation" },
  not_a_guardian: { status: 403, title: "Not a guardian of this vault" },
  not_a_signer: { status: 403, title: "Not a signer of this round" },
  vault_state: { status: 409, title: "The vault's state does not allow this" },
  vault_full: { status: 409, title: "The vault has all its guardians" },
  already_guardian: { status: 409, title: "Already a guardian of this vault" },
  dkg_state: { status: 409, title: "The key generation is not at this step" },
  dkg_disagreement: { status: 409, title: "Guardians' key packages disagree" },
  key_invalid: { status: 422, title: "Invalid public key package" },
  transaction_state: { status: 409, title: "The transaction's state does not allow this" },
  already_submitted: { status: 409, title: "Already submitted for this round" },
  commitment_reused: { status: 409, title: "Nonce commitment seen before" },
  invalid_signature_share: { status: 422, title: "Invalid signature share" },
  // Governance (src/governance): wallet links, votes, proposals and interventions.
  malformed_message: { status: 400, title: "Not a challenge message Vigil issued" },
  challenge_unknown: { status: 400, title: "Unknown wallet challenge" },
  challenge_expired: { status: 400, title: "Wallet challenge expired" },
  challenge_used: { status: 409, title: "Wallet challenge already used" },
  signature_invalid: { status: 400, title: "Signature does not verify" },
  address_taken: { status: 409, title: "Wallet already linked to an account" },
  wallet_not_linked: { status: 403, title: "Wallet not linked to your account" },
  no_voting_power: { status: 403, title: "No voting power at the proposal's snapshot" },
  already_voted: { status: 409, title: "Already voted on this proposal" },
  voting_closed: { status: 409, title: "Voting is not open" },
  signed_at_skew: { status: 400, title: "signedAt too far from the server's clock" },
  invalid_choice: { status: 400, title: "Not a choice of this proposal" },
  proposal_state: { status: 409, title: "Not possible in the proposal's state" },
  timelock_over: { status: 409, title: "The timelock is over" },
  timelock_active: { status: 409, title: "The timelock has not ended" },
  approval_required: { status: 409, title: "A guardian's approval is required" },
  already_intervened: { status: 409, title: "Already intervened on this proposal" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldIssue {
  path: string;
  message: string;
  /** A finer code for the field, where one exists (the password policy's `password_too_short`...). */
  code?: string;
}

export interface AppErrorExtra {
  /** Field-level problems (validation). */
  errors?: FieldIssue[];
  /** Response headers, e.g. Retry-After, WWW-Authenticate, Allow. */
  headers?: Record<string, string>;
  /** RFC 9457 extension members, e.g. { remainingAttempts: 2 }. */
  ext?: Record<string, unknown>;
  /** The underlying error; logged, never rendered. */
  cause?: unknown;
}

export class AppError extends Error {
  override readonly name = "AppError";
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: AppErrorExtra = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
  }
}

export const PROBLEM_TYPE_PREFIX = "urn:vigil:problem:";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string | undefined;
  errors?: FieldIssue[];
  [ext: string]: unknown;
}

export function problemBody(err: AppError, requestId: string | undefined): ProblemBody {
  return {
    ...err.extra.ext,
    type: `${PROBLEM_TYPE_PREFIX}${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.detail ?? err.title,
    code: err.code,
    requestId,
    ...(err.extra.errors ? { errors: err.extra.errors } : {}),
  };
}

export function problemResponse(c: Context<AppEnv>, err: AppError): Response {
  const headers = new Headers(err.extra.headers);
  headers.set("Content-Type", "application/problem+json");
  const body = problemBody(err, c.get("requestId"));
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Zod issues as field issues: `body.email` / "email is required" (src/http/messages.ts). */
export function zodFieldIssues(error: ZodError, target?: string, input?: unknown): FieldIssue[] {
  return fieldIssues(error.issues, target, input);
}

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  412: "precondition_failed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "service_unavailable",
  504: "request_timeout",
};

/** What a 503 tells the client to wait before retrying (a restart or failover takes seconds). */
export const RETRY_AFTER_SECONDS = 2;

/** Maps any thrown value onto the vocabulary. */
export function toAppError(err: unknown, c: Context<AppEnv>): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ConcurrencyError) {
    // The client asked for a version with If-Match: a mismatch is its precondition failing.
    return c.req.header("If-Match")
      ? new AppError("precondition_failed", "The resource changed since you read it", { cause: err })
      : new AppError("conflict", "The resource was changed concurrently; retry", { cause: err });
  }
  if (err instanceof EventValidationError) {
    return new AppError("invalid_event", `The ${err.eventType} event is invalid`, {
      errors: err.issues.map((i) => ({ path: i.path, message: i.message })),
      cause: err,
    });
  }
  if (err instanceof DeadlineExceededError) {
    return new AppError("request_timeout", "The request ran out of time; nothing was changed", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  // Every password hashing worker is busy and the queue is full (a login flood):
  // refused at once, nothing changed, rather than waiting past the request timeout.
  if (err instanceof PoolBusyError) {
    return new AppError("service_unavailable", "Too many password checks are waiting; retry shortly", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  // The hashing thread or process died under this check (it is replaced for
  // the next one): a fault of the service, not of the request.
  if (err instanceof HasherLostError) {
    return new AppError("service_unavailable", "The password check failed on our side; retry shortly", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  // Connection refused, reset or closed, the server shutting down or starting up,
  // too many connections: the database is away, not the request at fault.
  if (isDatabaseUnavailable(err)) {
    return new AppError("service_unavailable", "The database is unavailable; retry shortly", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  if (err instanceof HTTPException) {
    if (err.status === 400 && /malformed json/i.test(err.message)) {
      return new AppError("malformed_json", "The request body is not valid JSON", { cause: err });
    }
    return new AppError(HTTP_EXCEPTION_CODES[err.status] ?? "internal_error", undefined, { cause: err });
  }
  return new AppError("internal_error", "An unexpected error occurred", { cause: err });
}

export function createErrorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (err, c) => {
    const appErr = toAppError(err, c);
    if (appErr.status >= 500) {
      (requestLogger(c) ?? logger).error(
        // `errorCode`, not `code`: `code` is a redacted key (TOTP and reset codes).
        { err: appErr.extra.cause ?? appErr, errorCode: appErr.code, requestId: c.get("requestId") },
        "request failed",
      );
    }
    return problemResponse(c, appErr);
  };
}

type HookResult = { target: string; data?: unknown } & (
  | { success: true }
  | { success: false; error: ZodError }
);

/**
 * The zod-openapi hook: a failed validation becomes `validation_failed` with
 * one entry per field, instead of the library's raw ZodError JSON. For a JSON
 * body, keys its schema does not take are refused too (`bodyKeys`: the shape
 * read from the route's schema, src/http/known-keys.ts), in the same list.
 */
export async function validationHook(
  result: HookResult,
  c?: Context<AppEnv>,
  bodyKeys?: KeyShape,
): Promise<void> {
  const isBody = result.target === "json" && bodyKeys !== undefined && c !== undefined;
  // On failure `data` is what was sent; on success it is the parsed value, so read the sent body again (cached).
  const sent = result.success
    ? isBody
      ? await c.req.json().catch(() => undefined)
      : undefined
    : result.data;
  const unknown = isBody ? unknownKeys(sent, bodyKeys, "body") : [];
  if (result.success && unknown.length === 0) return;
  const issues = result.success ? [] : zodFieldIssues(result.error, result.target, sent);
  // A strict schema reports its unknown keys itself: each field once.
  const named = new Set(issues.map((i) => i.path));
  throw new AppError("validation_failed", "The request has invalid fields", {
    errors: [...issues, ...unknown.filter((i) => !named.has(i.path))],
  });
}
