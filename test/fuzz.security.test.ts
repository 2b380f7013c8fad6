/**
 * The fuzz suite: every operation of the live `/openapi.json`, as anonymous, as
 * a user and as an admin with two-factor, with mutated bodies, query strings,
 * path parameters, headers and content types (test/fuzz/hostile.ts). It holds:
 *
 * - no answer is a 5xx;
 * - every error is application/problem+json with a code from ERROR_CODES, at
 *   that code's status;
 * - a refused request (4xx) appends nothing to the log, except the evidence a
 *   refusal is meant to leave (a failed login, a rate-limit hit...).
 *
 * Operations come from the document at run time, so routes added later are
 * covered without editing this file. Each operation and caller first gets a
 * deterministic sweep (NUL and a lone surrogate in every place text goes in),
 * then random requests. The run is bounded by time (FUZZ_BUDGET_MS,
 * about 50 s by default, shared evenly between operations) and by FUZZ_RUNS
 * requests per operation and caller; requests run one at a time, each awaited,
 * so whatever the log gained belongs to the request just answered. The seed is printed and in the test name;
 * FUZZ_SEED=<n> replays a run.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccessHarness,
  accessHarness,
  enableTotpFor,
  loginWithTotp,
  type TestUser,
  userWithRoles,
} from "../src/access/testing.ts";
import { ERROR_CODES } from "../src/http/errors.ts";
import { PASSWORD } from "../src/identity/testing.ts";
import { type OpenApiDoc, type Operation, operationsOf } from "./fuzz/openapi.ts";
import { type Req, requestFor, sweepFor } from "./fuzz/requests.ts";

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 50_000);

/** Events a refusal is meant to leave behind: evidence of the attempt, never the attempted change. */
const EVIDENCE = new Set([
  "LoginFailed",
  "AccountLocked",
  "RateLimitExceeded",
  "MfaVerificationFailed",
  "PasswordChangeFailed",
  "RefreshTokenReuseDetected",
  "SessionRevoked",
  // Governance and custody record refused attempts too (security signals).
  "WalletLinkFailed",
  "WalletChallengeUsed",
  "VoteRefused",
  "NonceCommitmentRefused",
  "SignatureShareRejected",
]);

type Caller = "anonymous" | "user" | "admin";
const CALLERS: Caller[] = ["anonymous", "user", "admin"];

let h: AccessHarness;
let doc: OpenApiDoc;
const tokens: Partial<Record<Caller, string>> = {};
const people: { user?: TestUser; admin?: TestUser; totp?: string } = {};

beforeAll(async () => {
  // Limits off so requests reach the handlers; a generous timeout so a loaded machine
  // does not turn slow answers into 503s (deadlines have suites of their own).
  h = await accessHarness({ env: { RATE_LIMITS_ENABLED: "false", REQUEST_TIMEOUT_MS: "120000" } });
  people.user = await userWithRoles(h, "fuzz-user@example.com");
  people.admin = await userWithRoles(h, "fuzz-admin@example.com", ["admin"]);
  people.totp = (await enableTotpFor(h, people.admin)).secret;
  h.clock.advance(31);
  tokens.user = people.user.token;
  tokens.admin = (await loginWithTotp(h, people.admin.email, people.totp)).token;
  doc = (await (await h.app.request("/openapi.json")).json()) as OpenApiDoc;
}, 180_000);
afterAll(() => h?.close());

/** A caller whose session the fuzzing ended (logout, revoke, disable) signs in again. */
async function refresh(caller: Caller): Promise<void> {
  if (caller === "anonymous") return;
  const me = await h.app.request("/v1/auth/me", { headers: { Authorization: `Bearer ${tokens[caller]}` } });
  if (me.status === 200) return;
  h.clock.advance(31); // a fresh TOTP step: each code works once
  if (caller === "admin") {
    tokens.admin = (await loginWithTotp(h, people.admin!.email, people.totp!)).token;
    return;
  }
  const res = await h.api.login(people.user!.email, PASSWORD);
  if (res.status !== 200) {
    // Disabled or locked by the admin's fuzzing: carry on with a new user.
    people.user = await userWithRoles(h, `fuzz-user-${crypto.randomUUID()}@example.com`);
    tokens.user = people.user.token;
    return;
  }
  tokens.user = res.body!.accessToken;
}

function knownIds(): fc.Arbitrary<string> {
  return fc.constantFrom(
    people.user!.userId,
    people.admin!.userId,
    "00000000-0000-7000-8000-000000000000",
    "5d41402abc4b2a76b9719d911017c592",
    "203.0.113.9",
  );
}

async function logHead(): Promise<number> {
  const [r] = await h.db.query<{ id: string | number | null }>("SELECT max(id) AS id FROM events");
  return Number(r?.id ?? 0);
}

async function appendedSince(head: number): Promise<string[]> {
  const rows = await h.db.query<{ type: string }>("SELECT type FROM events WHERE id > $1 ORDER BY id", [
    head,
  ]);
  return rows.map((r) => r.type);
}

/** Sends one request and checks the three properties; returns a description of the failure, if any. */
async function check(op: Operation, caller: Caller, req: Req): Promise<void> {
  const headers = { ...req.headers };
  if (caller !== "anonymous") headers.Authorization = `Bearer ${tokens[caller]}`;
  const head = await logHead();
  const res = await h.app.request(req.url, {
    method: req.method,
    headers,
    ...(req.body === undefined ? {} : { body: req.body }),
  });
  const text = await res.text();
  const where = `${op.id} as ${caller}: ${req.method} ${req.url.slice(0, 300)}`;
  expect(res.status, `${where} answered ${res.status}: ${text.slice(0, 500)}`).toBeLessThan(500);
  if (res.status < 400) return;
  expect(res.headers.get("content-type"), `${where}: not problem+json`).toMatch(
    /^application\/problem\+json/,
  );
  const problem = JSON.parse(text) as { code: keyof typeof ERROR_CODES; status: number };
  expect(Object.keys(ERROR_CODES), `${where}: unknown code ${problem.code}`).toContain(problem.code);
  expect(ERROR_CODES[problem.code].status, `${where}: ${problem.code} at ${res.status}`).toBe(res.status);
  const appended = (await appendedSince(head)).filter((t) => !EVIDENCE.has(t));
  expect(appended, `${where}: refused with ${problem.code} but appended`).toEqual([]);
}

describe("fuzzing every operation of /openapi.json", () => {
  it(`holds for anonymous, user and admin callers (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, async () => {
    console.info(`fuzz: seed ${SEED}, ${RUNS} runs per operation and caller (FUZZ_SEED, FUZZ_RUNS)`);
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(10);
    const started = Date.now();
    const counts: Record<string, number> = {};
    let swept = 0;
    for (const [i, op] of ops.entries()) {
      // The time left, shared evenly by the operations left: a slow machine runs fewer cases, never longer.
      const slice = Math.max(200, (BUDGET_MS - (Date.now() - started)) / (ops.length - i));
      for (const [j, caller] of CALLERS.entries()) {
        await refresh(caller);
        // The sweep always runs (every place text goes in, with NUL); the random part shares the budget.
        for (const req of sweepFor(
          doc,
          op,
          caller === "anonymous" ? people.user!.userId : people[caller]!.userId,
        )) {
          await check(op, caller, req);
          swept++;
        }
        const deadline = Date.now() + slice / CALLERS.length;
        let ran = 0;
        await fc.assert(
          fc.asyncProperty(requestFor(doc, op, knownIds()), async (req) => {
            // Out of time: the remaining runs pass without a request. (fast-check's own
            // interruptAfterTimeLimit would abandon a request mid-flight, and its late
            // writes would be blamed on the next one.) The first always runs.
            if (ran > 0 && Date.now() > deadline) return;
            ran++;
            await check(op, caller, req);
          }),
          { seed: SEED + i * CALLERS.length + j, numRuns: RUNS, endOnFailure: true },
        );
        counts[op.id] = (counts[op.id] ?? 0) + ran;
      }
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.info(
      `fuzz: ${swept} sweep and ${total} random requests over ${ops.length} operations in ${Date.now() - started} ms`,
    );
    // Every operation was reached at least once per caller, however slow the machine.
    for (const op of ops) expect(counts[op.id], op.id).toBeGreaterThanOrEqual(CALLERS.length);
  }, 300_000);
});
