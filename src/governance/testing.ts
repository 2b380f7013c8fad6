/**
 * Test support for governance: the access harness (every feature mounted)
 * with admins, stakeholders and guardians; wallets linked the way a client
 * links them, with viem private-key accounts signing (an independent
 * Ethereum implementation, tests only); a `pump` that does what the
 * dispatcher, the job runner and the tallies projection do, on the test clock.
 * Not imported by runtime code.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import type { Db } from "../../db/client.ts";
import type { StoredEvent } from "../../events/types.ts";
import { talliesProjection } from "../../projections/governance.ts";
import type { JobQueue, JobSpec } from "../../workers/queue.ts";
import type { Role } from "../access/permissions.ts";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../access/testing.ts";
import type { TestClock } from "../identity/testing.ts";
import { toHex } from "./crypto/ethereum.ts";
import { governanceJobHandlers, governanceJobRoutes } from "./jobs.ts";

export const GOVERNANCE_ENV = { ADMIN_REQUIRE_MFA: "false", RATE_LIMITS_ENABLED: "false" };

export interface GovernanceHarness extends AccessHarness {
  /** Runs the governance jobs that are due on the test clock, and the tallies projection. */
  pump(): Promise<void>;
  /** Emails the notify jobs asked for. */
  emails: JobSpec[];
  user(email: string, roles: readonly Role[]): Promise<TestUser>;
  auth(u: TestUser): Record<string, string>;
}

export async function governanceHarness(
  opts: { env?: Record<string, string>; clock?: TestClock; db?: Db } = {},
): Promise<GovernanceHarness> {
  const h = await accessHarness({ env: { ...GOVERNANCE_ENV, ...opts.env }, clock: opts.clock, db: opts.db });
  const emails: JobSpec[] = [];
  const queue = { enqueue: async (j: JobSpec) => void emails.push(j) } as unknown as JobQueue;
  const handlers = governanceJobHandlers(h.deps, queue);
  const seen = new Set<string>();
  let pending: JobSpec[] = [];
  return {
    ...h,
    emails,
    user: (email, roles) => userWithRoles(h, email, roles),
    auth: (u) => h.api.bearer(u.token),
    async pump() {
      for (let round = 0; round < 10; round++) {
        const fresh: StoredEvent[] = (await h.events()).filter((e) => !seen.has(e.eventId));
        for (const e of fresh) {
          seen.add(e.eventId);
          if (talliesProjection.eventTypes.includes(e.type)) await talliesProjection.apply(h.db, e);
          for (const r of governanceJobRoutes.filter((x) => x.eventType === e.type))
            pending.push(...r.jobs(e));
        }
        const due = pending.filter((j) => !j.runAt || j.runAt <= h.clock.now());
        pending = pending.filter((j) => !due.includes(j));
        for (const j of due)
          await handlers[j.name]!(j.data, { id: j.id, name: j.name, attempt: 1, maxAttempts: 1 });
        if (fresh.length === 0 && due.length === 0) return;
      }
    },
  };
}

export const accountFor = (seed: string): PrivateKeyAccount =>
  privateKeyToAccount(toHex(keccak_256(utf8ToBytes(`vigil governance test ${seed}`))));

/** Challenge, personal_sign with the account, link: as a wallet UI does it. */
export async function linkEthereum(
  h: AccessHarness,
  u: TestUser,
  account: PrivateKeyAccount,
): Promise<string> {
  const auth = h.api.bearer(u.token);
  const ch = await h.api.call(
    "POST",
    "/v1/wallets/challenge",
    { chain: "ethereum", address: account.address },
    auth,
  );
  expect(ch.status, JSON.stringify(ch.body)).toBe(201);
  const signature = await account.signMessage({ message: ch.body!.message });
  const res = await h.api.call("POST", "/v1/wallets", { message: ch.body!.message, signature }, auth);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body!.walletId as string;
}

/** Fetches the ballot, signs it with viem's signTypedData, posts the vote. */
export async function voteWith(
  h: GovernanceHarness,
  u: TestUser,
  account: PrivateKeyAccount,
  proposalId: string,
  choice: string,
  opts: { reason?: string; signedAt?: number; tamper?: (sig: `0x${string}`) => string } = {},
) {
  const signedAt = opts.signedAt ?? Math.floor(h.clock.now().getTime() / 1000);
  const q = new URLSearchParams({ wallet: account.address, choice, signedAt: String(signedAt) });
  if (opts.reason) q.set("reason", opts.reason);
  const ballot = await h.api.call(
    "GET",
    `/v1/governance/proposals/${proposalId}/ballot?${q}`,
    undefined,
    h.auth(u),
  );
  expect(ballot.status, JSON.stringify(ballot.body)).toBe(200);
  const signature = await account.signTypedData(ballot.body!.typedData);
  return h.api.call(
    "POST",
    `/v1/governance/proposals/${proposalId}/votes`,
    {
      wallet: account.address,
      choice,
      signedAt,
      signature: opts.tamper ? opts.tamper(signature) : signature,
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
    h.auth(u),
  );
}

/** A proposal whose voting starts a minute from now and lasts an hour. */
export async function propose(
  h: GovernanceHarness,
  u: TestUser,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const start = new Date(h.clock.now().getTime() + 60_000);
  const res = await h.api.call(
    "POST",
    "/v1/governance/proposals",
    {
      title: "Fund the audit",
      body: "# Why\n\n<script>alert(1)</script> stays text.",
      votingStartsAt: start.toISOString(),
      votingEndsAt: new Date(start.getTime() + 3_600_000).toISOString(),
      quorumPercent: 20,
      thresholdPercent: 50,
      ...extra,
    },
    h.auth(u),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body!.id as string;
}
