/**
 * Completes the generated OpenAPI document with what every route can answer
 * besides what its file declares, derived from the handlers mounted on it, so
 * the document cannot drift from the code:
 *
 * - 400 `validation_failed` / `malformed_json`: the operation takes parameters or a body;
 * - 401 and `security`: an auth middleware is on the route (src/http/answers.ts);
 * - 403: a permission guard is on the route;
 * - 405: every path (another method gets `method_not_allowed` with `Allow`);
 * - 413 and 415: the operation takes a body (body limit, JSON only);
 * - 429: a rate limiter is on the route (the limiter's policies tag their middleware);
 * - 503: the request deadline and the database (everything but the few answers that use neither).
 *
 * The shared ones are written once under components.responses and referenced.
 * Every problem response also gets an example with its own code (a `code` in
 * its description that has that status, else the status's generic code).
 */

import { answersOf } from "./answers.ts";
import { ERROR_CODES, type ErrorCode, PROBLEM_TYPE_PREFIX } from "./errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON, walked generically.
type Json = Record<string, any>;

export interface MountedRoute {
  method: string;
  path: string;
  // biome-ignore lint/complexity/noBannedTypes: any middleware or handler function.
  handler: Function;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** Answers that touch neither the database nor a slow dependency. */
const NO_DATABASE = new Set(["GET /health", "GET /v1"]);

/** The code an example shows for a status when the description names none. */
const GENERIC: Record<number, ErrorCode> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  412: "precondition_failed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable",
  423: "account_locked",
  426: "upgrade_required",
  428: "precondition_required",
  429: "rate_limited",
  500: "internal_error",
  503: "service_unavailable",
};

const problemRef = { $ref: "#/components/schemas/Problem" };

export function problemExample(code: ErrorCode, detail?: string): Json {
  const { status, title } = ERROR_CODES[code];
  return {
    type: `${PROBLEM_TYPE_PREFIX}${code}`,
    title,
    status,
    detail: detail ?? title,
    code,
    requestId: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a",
    ...(code === "validation_failed"
      ? { errors: [{ path: "body.email", message: "email is required" }] }
      : {}),
    ...(code === "rate_limited" ? { retryAfter: 12, violatedPolicies: ["ip-minute"] } : {}),
  };
}

const header = (description: string, type = "string") => ({ description, schema: { type } });

function shared(description: string, code: ErrorCode, headers?: Json): Json {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { "application/problem+json": { schema: problemRef, example: problemExample(code) } },
  };
}

/** components.responses: the answers many operations share, written once. */
export const SHARED_RESPONSES: Record<string, Json> = {
  ValidationFailed: shared(
    "`validation_failed`: a parameter or body field is missing, of the wrong type or out of range, or an unknown key was sent; `errors` names each field. `malformed_json`: the body is not JSON.",
    "validation_failed",
  ),
  Unauthorized: shared(
    "`unauthorized`, `token_invalid`, `token_expired`, `session_revoked`, or an API key refused (`api_key_invalid`, `api_key_expired`, `api_key_revoked`, `api_key_malformed`)",
    "token_expired",
    { "WWW-Authenticate": header('`Bearer realm="vigil"`, with `error="invalid_token"` when one was sent') },
  ),
  Forbidden: shared(
    "`forbidden`: the role or the API key's scopes lack the permission; `mfa_required`: enable two-factor first; `ip_banned` (authentication routes): the address is banned for a while after too many failed logins",
    "forbidden",
  ),
  MethodNotAllowed: shared(
    "`method_not_allowed`: the path exists, the method does not",
    "method_not_allowed",
    {
      Allow: header("The methods the path supports"),
    },
  ),
  PayloadTooLarge: shared(
    "`payload_too_large`: the body exceeds the limit (BODY_LIMIT_BYTES)",
    "payload_too_large",
  ),
  UnsupportedMediaType: shared(
    "`unsupported_media_type`: send the body as `application/json`",
    "unsupported_media_type",
  ),
  RateLimited: shared("`rate_limited`: a limit is spent; retry after `Retry-After` seconds", "rate_limited", {
    "Retry-After": header("Seconds to wait", "integer"),
    "RateLimit-Policy": header("The policies that apply (draft-ietf-httpapi-ratelimit-headers)"),
    RateLimit: header("What is left of each policy"),
  }),
  ServiceUnavailable: shared(
    "`service_unavailable` (the database is away) or `request_timeout` (the request ran out of time; nothing was changed): retry after `Retry-After`",
    "service_unavailable",
    { "Retry-After": header("Seconds to wait", "integer") },
  ),
};

const ref = (name: keyof typeof SHARED_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/** `/v1/users/{id}` as Hono writes it: `/v1/users/:id`. */
const honoPath = (path: string) => path.replace(/\{([^}]+)\}/g, ":$1");

/** A Hono path pattern (`/v1/*`, `/v1/users/:id`, `*`) as a regular expression. */
function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split("/")
    .map((seg) => {
      if (seg === "*") return ".*";
      if (seg.startsWith(":")) return "[^/]+";
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  // Hono's `/v1/*` also matches `/v1` itself.
  return new RegExp(`^${body.replace(/\/\.\*$/, "(?:/.*)?")}$`);
}

/**
 * The handlers a request for this operation runs through: middleware mounted
 * with `use` on a matching pattern, and the handlers registered for exactly
 * this method and path (other operations' handlers never count, even when a
 * pattern like `/:id` would match this path).
 */
export function handlersFor(routes: readonly MountedRoute[], method: string, path: string): MountedRoute[] {
  const own = honoPath(path);
  const concrete = path.replace(/\{[^}]+\}/g, "p");
  return routes.filter((r) =>
    r.method === "ALL" ? patternRegex(r.path).test(concrete) : r.method === method && r.path === own,
  );
}

/** The first backticked code in a description that answers with this status. */
function codeFor(status: number, description: string | undefined): ErrorCode | undefined {
  for (const m of (description ?? "").matchAll(/`([a-z_]+)`/g)) {
    const code = m[1] as ErrorCode;
    if (ERROR_CODES[code]?.status === status) return code;
  }
  return GENERIC[status];
}

function addExample(status: number, response: Json): void {
  const media = response.content?.["application/problem+json"];
  if (!media || media.example !== undefined) return;
  const code = codeFor(status, response.description);
  if (code) media.example = problemExample(code);
}

export function completeDocument(doc: Json, routes: readonly MountedRoute[]): Json {
  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  doc.components = { ...doc.components, responses: { ...doc.components?.responses, ...SHARED_RESPONSES } };
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const id = `${method.toUpperCase()} ${path}`;
      const tags = handlersFor(routes, method.toUpperCase(), path)
        .map((r) => answersOf(r.handler))
        .filter((a) => a !== undefined);
      const statuses = new Set(tags.flatMap((a) => a.statuses ?? []));
      const security = tags.find((a) => a.security)?.security;
      if (security) {
        op.security = security
          .filter((alt) => alt.every((s) => schemes.includes(s)))
          .map((alt) => Object.fromEntries(alt.map((s) => [s, []])));
        statuses.add(401);
      }
      const responses: Json = op.responses ?? {};
      const need = (status: number, name: keyof typeof SHARED_RESPONSES) => {
        if (!responses[status]) responses[status] = ref(name);
      };
      if (op.requestBody || op.parameters?.length) need(400, "ValidationFailed");
      if (statuses.has(401) || op.security?.length) need(401, "Unauthorized");
      if (statuses.has(403)) need(403, "Forbidden");
      need(405, "MethodNotAllowed");
      if (op.requestBody) {
        need(413, "PayloadTooLarge");
        need(415, "UnsupportedMediaType");
      }
      if (statuses.has(429)) need(429, "RateLimited");
      if (!NO_DATABASE.has(id)) need(503, "ServiceUnavailable");
      for (const [status, response] of Object.entries(responses))
        addExample(Number(status), response as Json);
      op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
    }
  }
  return doc;
}
