/**
 * Vigil answers every error as RFC 9457 problem+json with a stable `code`;
 * the client turns each into a VigilError carrying it. The codes are the
 * `code` enum of the API document's Problem schema, so they cannot drift.
 */
import type { components } from "./schema.d.ts";

export type Problem = components["schemas"]["Problem"];
export type ProblemCode = Problem["code"];
export type FieldIssue = NonNullable<Problem["errors"]>[number];

/** An error answer of the API, or a transport failure (`status` 0, code `network_error`). */
export class VigilError extends Error {
  override readonly name: string = "VigilError";
  readonly status: number;
  readonly code: ProblemCode | "network_error" | "unexpected_response";
  readonly title: string;
  readonly detail: string;
  /** Field problems of `validation_failed`, `password_policy`, `wrong_password`. */
  readonly errors: readonly FieldIssue[];
  readonly requestId: string | undefined;
  /** The whole problem body, extension members included (`retryAfter`, `remainingAttempts`...). */
  readonly problem: Readonly<Record<string, unknown>>;

  constructor(status: number, problem: Record<string, unknown>) {
    const detail = typeof problem.detail === "string" ? problem.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = (
      typeof problem.code === "string" ? problem.code : "unexpected_response"
    ) as VigilError["code"];
    this.title = typeof problem.title === "string" ? problem.title : detail;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? (problem.errors as FieldIssue[]) : [];
    this.requestId = typeof problem.requestId === "string" ? problem.requestId : undefined;
    this.problem = problem;
  }

  /** Seconds to wait before retrying (`Retry-After` of 429 and 503), when the server said. */
  get retryAfter(): number | undefined {
    const v = this.problem.retryAfter;
    return typeof v === "number" ? v : undefined;
  }
}

/**
 * The refresh token was presented a second time: Vigil took that as theft and
 * revoked the whole session family. The tokens are dropped; sign in again.
 */
export class RefreshTokenReusedError extends VigilError {
  override readonly name = "RefreshTokenReusedError";
}

/** The session cannot be refreshed (revoked, expired, signed out elsewhere): sign in again. */
export class SessionEndedError extends VigilError {
  override readonly name = "SessionEndedError";
}

/** Builds the error for a non-2xx answer, reading problem+json when it is one. */
export async function errorFrom(response: Response, body?: unknown): Promise<VigilError> {
  let problem: Record<string, unknown> = {};
  if (body !== undefined && body !== null && typeof body === "object")
    problem = body as Record<string, unknown>;
  else {
    const text = await response.text().catch(() => "");
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object") problem = parsed as Record<string, unknown>;
    } catch {
      problem = { detail: text.slice(0, 200) || `HTTP ${response.status}` };
    }
  }
  if (problem.code === "refresh_token_reused") return new RefreshTokenReusedError(response.status, problem);
  return new VigilError(response.status, problem);
}
