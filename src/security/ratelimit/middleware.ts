/**
 * `rateLimit(...)`: checks one or more policies for a subject, refuses with 429
 * problem+json (`rate_limited`, Retry-After) when any is exhausted, and puts
 * the RateLimit-Policy and RateLimit fields on every response of the route.
 *
 * Header format: draft-ietf-httpapi-ratelimit-headers-11 (May 2026), the
 * structured-field pair, one list member per policy:
 *   RateLimit-Policy: "ip-minute";q=60;w=60, "ip-hour";q=1000;w=3600
 *   RateLimit: "ip-minute";r=59;t=1, "ip-hour";r=999;t=4
 * `t` is the seconds until the budget is full again. No `pk`: the partition key
 * would only echo a hash of the client's own identity. Several limited
 * middlewares on one route append list members (SF lists may span lines).
 *
 * Subjects are hashed (sha256, WebCrypto) before they reach any store, so
 * emails never appear in Redis keys, logs or events. The limiter failing is
 * never the client's problem: the request proceeds (fail open) and it is logged.
 */
import type { Context, MiddlewareHandler } from "hono";
import { sha256Hex } from "../../crypto/random.ts";
import type { AppEnv } from "../../http/env.ts";
import { AppError, problemResponse } from "../../http/errors.ts";
import { nodeHead } from "../../http/node-response.ts";
import { requestLogger } from "../../http/request-logger.ts";
import type { Evidence } from "./evidence.ts";
import { consumeMany, type Decision, type LimitItem, type NamedPolicy, type RateLimiter } from "./types.ts";

type Subject = string | null | undefined;

export interface RateLimitOptions {
  /** Undefined: the middleware lets everything through (limits switched off). */
  limiter: RateLimiter | undefined;
  policies: readonly NamedPolicy[] | ((c: Context<AppEnv>) => readonly NamedPolicy[]);
  /** Who is limited (an IP subject, `acct:<email>|ip:<subject>`, a user id); null skips limiting. */
  key: (c: Context<AppEnv>) => Subject | Promise<Subject>;
  evidence?: Evidence;
  /**
   * Requests for which the budget is only checked up front (nothing consumed)
   * and charged afterwards if `chargeAfter` says so: e.g. requests carrying
   * credentials are charged to their IP only when authentication fails.
   */
  deferred?: (c: Context<AppEnv>) => boolean;
  chargeAfter?: (c: Context<AppEnv>) => boolean;
  /**
   * For a deferred request: the principal its credentials prove cheaply, if
   * any, and that principal's own limit. Such a request skips this limit and is
   * charged to its own limit once, up front (refused there when it is spent);
   * the context's `rateCharged` marker then keeps the route's per-caller limit
   * from charging the same subject again. It is still charged here afterwards
   * when `chargeAfter` says so (authentication failed after all).
   */
  principal?: (c: Context<AppEnv>) => Promise<PrincipalLimit | null>;
}

/** The limit a verified principal is held to instead of this middleware's. */
export interface PrincipalLimit {
  policies: readonly NamedPolicy[];
  subject: string;
}

interface Check {
  policy: NamedPolicy;
  decision: Decision;
}

// Hot subjects (an IP sending many requests) are hashed once; cleared wholesale when full.
const hashCache = new Map<string, string>();

function subjectHash(subject: string): string {
  const hit = hashCache.get(subject);
  if (hit) return hit;
  const h = sha256Hex(subject);
  if (hashCache.size >= 10_000) hashCache.clear();
  hashCache.set(subject, h);
  return h;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

const policyItem = (p: NamedPolicy) => `"${p.name}";q=${p.limit};w=${Math.max(1, seconds(p.windowMs))}`;

export function policyHeader(policies: readonly NamedPolicy[]): string {
  return policies.map(policyItem).join(", ");
}

export function limitHeader(checks: readonly Check[]): string {
  // Built on every response: a loop rather than map and join.
  let out = "";
  for (const x of checks) {
    if (out) out += ", ";
    out += `"${x.policy.name}";r=${Math.max(0, x.decision.remaining)};t=${seconds(x.decision.resetMs)}`;
  }
  return out;
}

function setHeaders(c: Context<AppEnv>, policyValue: string, checks: readonly Check[]): void {
  // On Node, appended to whatever the response carries as the head is written (src/http/node-response.ts).
  const head = nodeHead(c);
  if (head) {
    head.append("RateLimit-Policy", policyValue);
    head.append("RateLimit", limitHeader(checks));
    return;
  }
  const write = (h: Headers) => {
    h.append("RateLimit-Policy", policyValue);
    h.append("RateLimit", limitHeader(checks));
  };
  try {
    write(c.res.headers);
  } catch {
    // Immutable headers (a fetched Response): copy it once.
    c.res = new Response(c.res.body, c.res);
    write(c.res.headers);
  }
}

/** The store's items for a subject's hash; hot subjects reuse theirs (cleared wholesale when full). */
function itemsFor(policies: readonly NamedPolicy[], keyHash: string, cache?: Map<string, LimitItem[]>) {
  const hit = cache?.get(keyHash);
  if (hit) return hit;
  const items = policies.map((p) => ({
    key: `${p.name}:${keyHash}`,
    policy: { limit: p.limit, windowMs: p.windowMs },
  }));
  if (cache) {
    if (cache.size >= 10_000) cache.clear();
    cache.set(keyHash, items);
  }
  return items;
}

const toChecks = (policies: readonly NamedPolicy[], decisions: readonly Decision[]): Check[] =>
  policies.map((policy, i) => ({ policy, decision: decisions[i]! }));

/** In order, stopping at the first refusal (see RateLimiter.consumeMany): list the shortest window first. */
// Answered at once, without a promise, when this process holds a unit (lease.ts).
function consumeAll(
  limiter: RateLimiter,
  policies: readonly NamedPolicy[],
  keyHash: string,
  cost: number,
): Check[] | Promise<Check[]> {
  const items = itemsFor(policies, keyHash);
  const held = cost === 1 ? limiter.consumeHeld?.(items) : undefined;
  if (held) return toChecks(policies, held);
  return consumeMany(limiter, items, cost).then((decisions) => toChecks(policies, decisions));
}

function refuse(c: Context<AppEnv>, policyValue: string, checks: readonly Check[]): Response {
  const denied = checks.filter((x) => !x.decision.allowed);
  const retryAfter = Math.max(1, ...denied.map((x) => seconds(x.decision.retryAfterMs)));
  return problemResponse(
    c,
    new AppError("rate_limited", `Too many requests; retry in ${retryAfter} s`, {
      headers: {
        "Retry-After": String(retryAfter),
        "RateLimit-Policy": policyValue,
        RateLimit: limitHeader(checks),
      },
      ext: { retryAfter, violatedPolicies: denied.map((x) => x.policy.name) },
    }),
  );
}

/** Evidence of each policy this decision refused for the first time in its window. */
function noteRefusals(
  c: Context<AppEnv>,
  evidence: Evidence | undefined,
  checks: readonly Check[],
  keyHash: string,
) {
  for (const x of checks) if (x.decision.firstRefusal) evidence?.refused(c, x.policy, keyHash);
}

/**
 * A deferred request whose credentials verified: one unit of its principal's own
 * limit, charged before the route runs, instead of a peek at the anonymous limit.
 * `afterRoute` charges the anonymous limit when the route refused authentication.
 */
async function chargePrincipal(
  c: Context<AppEnv>,
  limiter: RateLimiter,
  own: PrincipalLimit,
  evidence: Evidence | undefined,
  next: () => Promise<void>,
  afterRoute: () => Promise<void>,
): Promise<Response | undefined> {
  const policyValue = policyHeader(own.policies);
  let keyHash: string;
  let checks: Check[];
  try {
    keyHash = subjectHash(own.subject);
    checks = await consumeAll(limiter, own.policies, keyHash, 1);
  } catch (err) {
    requestLogger(c)?.error({ err }, "rate limiter failed: request let through");
    await next();
    return;
  }
  if (checks.some((x) => !x.decision.allowed)) {
    noteRefusals(c, evidence, checks, keyHash);
    return refuse(c, policyValue, checks);
  }
  c.set("rateCharged", { subject: own.subject, policy: policyValue });
  await next();
  setHeaders(c, policyValue, checks);
  await afterRoute();
}

export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const { limiter } = opts;
  const fixedHeader = typeof opts.policies === "function" ? undefined : policyHeader(opts.policies);
  const slow = limitRequest(opts, fixedHeader);
  if (!limiter?.consumeHeld || fixedHeader === undefined) return (c, next) => slow(c, next);
  const policies = opts.policies as readonly NamedPolicy[];
  const held = new Map<string, LimitItem[]>();
  // The common case without a promise of its own: a fixed policy list, a subject known at once
  // (hashed synchronously), a unit already held in this process (lease.ts). Anything else: the full path.
  return (c, next) => {
    if (policies.length === 0 || opts.deferred?.(c)) return slow(c, next);
    const subject = opts.key(c);
    if (typeof subject !== "string") return slow(c, next, subject);
    const charged = c.get("rateCharged");
    if (charged && charged.subject === subject && charged.policy === fixedHeader) return next();
    const decisions = limiter.consumeHeld!(itemsFor(policies, subjectHash(subject), held));
    if (!decisions) return slow(c, next, subject);
    const checks = toChecks(policies, decisions);
    return next().then(() => setHeaders(c, fixedHeader, checks));
  };
}

/** Every case: deferred charging, principals, refusals, a limiter that fails. */
function limitRequest(opts: RateLimitOptions, fixedHeader: string | undefined) {
  const { limiter, evidence } = opts;
  return async (
    c: Context<AppEnv>,
    next: () => Promise<void>,
    known?: ReturnType<RateLimitOptions["key"]>,
  ) => {
    if (!limiter) return next();
    const policies = typeof opts.policies === "function" ? opts.policies(c) : opts.policies;
    if (policies.length === 0) return next();
    const policyValue = fixedHeader ?? policyHeader(policies);
    const subject = await (known === undefined ? opts.key(c) : known);
    if (!subject) return next();
    const deferred = opts.deferred?.(c) ?? false;
    if (!deferred) {
      // Already charged up front to this very subject and limit (see chargePrincipal): one request, one unit.
      const charged = c.get("rateCharged");
      if (charged && charged.subject === subject && charged.policy === policyValue) return next();
    }

    if (deferred && opts.principal) {
      const own = await opts.principal(c);
      if (own) {
        return chargePrincipal(c, limiter, own, evidence, next, async () => {
          if (!opts.chargeAfter?.(c)) return;
          try {
            const ipHash = subjectHash(subject);
            const charged = await consumeAll(limiter, policies, ipHash, 1);
            noteRefusals(c, evidence, charged, ipHash);
            setHeaders(c, policyValue, charged);
          } catch (err) {
            requestLogger(c)?.error({ err }, "rate limiter failed while charging a request");
          }
        });
      }
    }

    let keyHash: string;
    let checks: Check[];
    try {
      keyHash = subjectHash(subject);
      checks = await consumeAll(limiter, policies, keyHash, deferred ? 0 : 1);
    } catch (err) {
      requestLogger(c)?.error({ err }, "rate limiter failed: request let through");
      return next();
    }
    if (checks.some((x) => !x.decision.allowed)) {
      noteRefusals(c, evidence, checks, keyHash);
      return refuse(c, policyValue, checks);
    }

    await next();

    if (deferred && opts.chargeAfter?.(c)) {
      try {
        checks = await consumeAll(limiter, policies, keyHash, 1);
        noteRefusals(c, evidence, checks, keyHash);
      } catch (err) {
        requestLogger(c)?.error({ err }, "rate limiter failed while charging a request");
      }
    }
    setHeaders(c, policyValue, checks);
  };
}
