/**
 * Vigil's policies (config.rateLimit, defaults from DESIGN.md) and the
 * middleware helpers routes attach. Every helper is a no-op when
 * `deps.rateLimiter` is unset (limits switched off, or tests that do not care).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps } from "../../app.ts";
import { principalVerifier } from "../../auth/principal.ts";
import type { RateLimitConfig, RateLimitPolicyName } from "../../config.ts";
import { declareAnswers } from "../../http/answers.ts";
import type { AppEnv } from "../../http/env.ts";
import { ipLimitSubject } from "../../http/ip.ts";
import { createEvidence, type Evidence } from "./evidence.ts";
import { type PrincipalLimit, rateLimit } from "./middleware.ts";
import type { NamedPolicy } from "./types.ts";

const NAMES: Record<RateLimitPolicyName, string> = {
  ipMinute: "ip-minute",
  ipHour: "ip-hour",
  login: "login",
  register: "register",
  email: "email",
  user: "user",
  apiKey: "api-key",
  metrics: "metrics",
};

export function namedPolicies(config: RateLimitConfig): Record<RateLimitPolicyName, NamedPolicy> {
  return Object.fromEntries(
    Object.entries(config.policies).map(([k, p]) => [k, { name: NAMES[k as RateLimitPolicyName], ...p }]),
  ) as Record<RateLimitPolicyName, NamedPolicy>;
}

// Keyed by the store, not the deps object: features may pass a widened copy of the deps.
const evidenceByStore = new WeakMap<AppDeps["store"], Evidence>();

/** One evidence recorder per event store, so shutdown can wait for its appends. */
export function evidenceFor(deps: Pick<AppDeps, "store" | "logger">): Evidence {
  let e = evidenceByStore.get(deps.store);
  if (!e) {
    e = createEvidence(deps.store, deps.logger);
    evidenceByStore.set(deps.store, e);
  }
  return e;
}

/** The client's IPv4 address or IPv6 /64, or null when unknown. */
export function ipSubject(c: Context<AppEnv>): string | null {
  const ip = c.get("clientIp");
  if (!ip) return null;
  // clientIp is already canonical; only IPv6 needs folding into its /64.
  if (!ip.includes(":")) return ip;
  return ipLimitSubject(ip) ?? null;
}

async function bodyEmail(c: Context<AppEnv>): Promise<string | null> {
  const body = (await c.req.json().catch(() => undefined)) as { email?: unknown } | undefined;
  return typeof body?.email === "string" && body.email.trim() ? body.email.trim().toLowerCase() : null;
}

function limited(
  deps: AppDeps,
  policies: NamedPolicy[] | ((c: Context<AppEnv>) => NamedPolicy[]),
  key: (c: Context<AppEnv>) => string | null | Promise<string | null>,
  extra: Pick<Parameters<typeof rateLimit>[0], "deferred" | "chargeAfter" | "principal"> = {},
): MiddlewareHandler<AppEnv> {
  // Tagged even when limits are off: /openapi.json describes the routes as built, not one deployment's settings.
  const statuses = { statuses: [429] };
  if (!deps.rateLimiter) return declareAnswers<MiddlewareHandler<AppEnv>>((_c, next) => next(), statuses);
  return declareAnswers(
    rateLimit({ limiter: deps.rateLimiter, policies, key, evidence: evidenceFor(deps), ...extra }),
    statuses,
  );
}

const hasCredentials = (c: Context<AppEnv>) =>
  c.req.header("Authorization") !== undefined || c.req.header("X-API-Key") !== undefined;

/**
 * The global per-IP limit on /v1 (60/min and 1000/h), for anonymous traffic.
 * A request whose credentials verify cheaply (a valid access token's signature
 * and expiry, an existing active API key: src/auth/principal.ts) is not held to
 * its IP's budget at all: it is charged one unit of its own user or key limit
 * up front, refused with 429 there when that is spent, and the route's
 * limitAuthenticated / limitApiKey do not charge the same subject again (the
 * `rateCharged` marker). If authentication fails after all (401, e.g. a revoked
 * session), the IP is charged too. Credentials that do not verify (forged,
 * expired, unknown) are only checked against the IP's budget up front (429 when
 * spent) and charged to it on a 401, so a bogus token does not bypass the IP
 * limit. So anonymous floods from a NAT or proxy address do not lock out the
 * signed-in users behind it, and brute force stays covered by the login,
 * account and ban rules.
 */
export function limitUnauthenticated(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  const key = (c: Context<AppEnv>) => {
    const ip = ipSubject(c);
    return ip ? `ip:${ip}` : null;
  };
  const verify = principalVerifier(deps);
  const principal = async (c: Context<AppEnv>): Promise<PrincipalLimit | null> => {
    const who = await verify(c);
    if (!who) return null;
    // The same buckets and policies as limitAuthenticated / limitApiKey, which then skip this subject.
    return who.kind === "key"
      ? { policies: [p.apiKey], subject: `key:${who.keyId}` }
      : { policies: [p.user], subject: `user:${who.userId}` };
  };
  return limited(deps, [p.ipMinute, p.ipHour], key, {
    deferred: hasCredentials,
    chargeAfter: (c) => c.res.status === 401,
    principal,
  });
}

/** Login: 5/min per (account, IP). Reads `email` from the JSON body; mount before the handler. */
export function limitLogin(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(deps, [p.login], async (c) => {
    const email = await bodyEmail(c);
    return email ? `acct:${email}|ip:${ipSubject(c) ?? "unknown"}` : null;
  });
}

/** Registration: 10/h per IP. */
export function limitRegister(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(deps, [p.register], (c) => {
    const ip = ipSubject(c);
    return ip ? `ip:${ip}` : null;
  });
}

/**
 * Password-reset and verification emails: 3/h per account. The account is the
 * body's `email`, else the authenticated user; pass `account` to say otherwise.
 */
export function limitEmailSends(
  deps: AppDeps,
  account?: (c: Context<AppEnv>) => string | null | Promise<string | null>,
): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(deps, [p.email], async (c) => {
    const id = account ? await account(c) : ((await bodyEmail(c)) ?? c.get("auth")?.userId ?? null);
    return id ? `acct:${id}` : null;
  });
}

/** Authenticated users: 100/min per user. Mount after the auth middleware (needs `c.get("auth")`). */
export function limitAuthenticated(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(deps, [p.user], (c) => {
    const auth = c.get("auth");
    return auth ? `user:${auth.userId}` : null;
  });
}

/** GET /metrics: its own per-IP budget (60/min), apart from /v1's, so a scrape flood stays cheap. */
export function limitMetrics(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(deps, [p.metrics], (c) => {
    const ip = ipSubject(c);
    return ip ? `ip:${ip}` : null;
  });
}

/** API keys: each key its own limit per minute (default config: 600/min). */
export function limitApiKey(
  deps: AppDeps,
  identify: (c: Context<AppEnv>) => { keyId: string; limitPerMinute?: number } | null,
): MiddlewareHandler<AppEnv> {
  const p = namedPolicies(deps.config.rateLimit);
  return limited(
    deps,
    (c) => {
      const k = identify(c);
      return [k?.limitPerMinute ? { ...p.apiKey, limit: k.limitPerMinute } : p.apiKey];
    },
    (c) => {
      const k = identify(c);
      return k ? `key:${k.keyId}` : null;
    },
  );
}
