/**
 * Governance end to end over HTTP (PGlite, test clock): wallets linked by
 * signed challenge, power granted by an admin, a proposal through its whole
 * life, votes signed by viem (an independent client) from the ballot Vigil
 * serves, snapshot power, refusals, guardians, and the offline verification.
 */
import { verifyTypedData } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import type { TestUser } from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";
import { cmdGovernanceVerify } from "./cli.ts";
import {
  accountFor,
  type GovernanceHarness,
  governanceHarness,
  linkEthereum,
  propose,
  voteWith,
} from "./testing.ts";

let h: GovernanceHarness;
let db: Db | undefined;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let guardian: TestUser;
const wallets = { alice: accountFor("alice"), bob: accountFor("bob"), carol: accountFor("carol") };

const power = (u: TestUser, value: number) =>
  h.api.call(
    "PUT",
    `/v1/governance/power/${u.userId}`,
    { power: value, reason: "token holdings" },
    h.auth(admin),
  );
/** Moves the clock; everyone signs in again (access tokens last 15 minutes). */
async function later(seconds: number) {
  h.clock.advance(seconds);
  for (const u of [admin, alice, bob, carol, guardian]) {
    const res = await h.api.login(u.email, PASSWORD);
    u.token = res.body!.accessToken;
  }
  await h.pump();
}
const get = (id: string) => h.api.call("GET", `/v1/governance/proposals/${id}`, undefined, h.auth(alice));

// Real Postgres when TEST_DATABASE_URL is set (quicker to start), PGlite otherwise.
const SLOW_START = 300_000;

beforeAll(async () => {
  db = TEST_DATABASE_URL ? await postgresDb() : undefined;
  h = await governanceHarness({ db });
  admin = await h.user("admin@example.com", ["admin"]);
  alice = await h.user("alice@example.com", ["stakeholder"]);
  bob = await h.user("bob@example.com", ["stakeholder"]);
  carol = await h.user("carol@example.com", ["stakeholder"]);
  guardian = await h.user("guardian@example.com", ["guardian"]);
  for (const [u, w] of [
    [alice, wallets.alice],
    [bob, wallets.bob],
    [carol, wallets.carol],
  ] as const)
    await linkEthereum(h, u, w);
  expect((await power(alice, 100)).status).toBe(200);
  expect((await power(bob, 50)).status).toBe(200);
}, SLOW_START);
afterAll(async () => {
  await h?.close();
  await db?.close();
});

describe("a standard proposal from creation to execution", () => {
  let id: string;

  it("is pending until voting starts, then active with a snapshot", async () => {
    id = await propose(h, alice);
    const before = await get(id);
    expect(before.body).toMatchObject({ state: "pending", snapshot: null, kind: "standard" });
    expect(before.body!.body).toContain("<script>alert(1)</script>");
    expect((await voteWith(h, alice, wallets.alice, id, "for")).body!.code).toBe("voting_closed");
    await later(61);
    const after = await get(id);
    expect(after.body).toMatchObject({ state: "active", totalPower: 150 });
    expect(after.body!.snapshot).toMatchObject({ txId: expect.any(String), id: expect.any(Number) });
  });

  it("counts votes with power at the snapshot, ignoring later grants", async () => {
    await power(carol, 1000);
    await power(bob, 5);
    const refused = await voteWith(h, carol, wallets.carol, id, "against");
    expect(refused.status).toBe(403);
    expect(refused.body!.code).toBe("no_voting_power");
    const a = await voteWith(h, alice, wallets.alice, id, "for", { reason: "audits matter" });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body).toMatchObject({ power: 100, choice: "for" });
    const b = await voteWith(h, bob, wallets.bob, id, "against");
    expect(b.body).toMatchObject({ power: 50 });
    await h.pump();
    const live = await get(id);
    expect(live.body!.tally).toMatchObject({
      for: { power: 100, votes: 1 },
      against: { power: 50, votes: 1 },
    });
  });

  it("refuses a second vote, a tampered signature, a stranger's wallet, a stale signedAt, an unknown choice", async () => {
    const again = await voteWith(h, alice, wallets.alice, id, "against");
    expect([again.status, again.body!.code]).toEqual([409, "already_voted"]);
    const p2 = await propose(h, alice);
    await later(61);
    const tampered = await voteWith(h, alice, wallets.alice, p2, "for", {
      tamper: (s) => `${s.slice(0, 10)}${s[10] === "0" ? "1" : "0"}${s.slice(11)}`,
    });
    expect([tampered.status, tampered.body!.code]).toEqual([400, "signature_invalid"]);
    const stranger = await voteWith(h, bob, wallets.alice, p2, "for");
    expect([stranger.status, stranger.body!.code]).toEqual([403, "wallet_not_linked"]);
    const stale = await voteWith(h, alice, wallets.alice, p2, "for", {
      signedAt: Math.floor(h.clock.now().getTime() / 1000) - 3600,
    });
    expect([stale.status, stale.body!.code]).toEqual([400, "signed_at_skew"]);
    const choice = await h.api.call(
      "POST",
      `/v1/governance/proposals/${p2}/votes`,
      { wallet: wallets.alice.address, choice: "maybe", signedAt: 1, signature: `0x${"11".repeat(65)}` },
      h.auth(alice),
    );
    expect(choice.body!.code).toBe("invalid_choice");
    const refusals = (await h.events())
      .filter((e) => e.type === "VoteRefused")
      .map((e) => (e.data as { reason: string }).reason);
    expect(refusals).toEqual(
      expect.arrayContaining([
        "no_voting_power",
        "already_voted",
        "bad_signature",
        "wallet_not_linked",
        "signed_at_skew",
      ]),
    );
    expect((await h.events()).filter((e) => e.type === "VoteCast")).toHaveLength(2);
  });

  it("refuses the same signed vote replayed on another proposal", async () => {
    const votes = await h.api.call("GET", `/v1/governance/proposals/${id}/votes`, undefined, h.auth(bob));
    const original = votes.body!.votes.find((v: { userId: string }) => v.userId === alice.userId);
    const p3 = await propose(h, alice);
    await later(61);
    const replay = await h.api.call(
      "POST",
      `/v1/governance/proposals/${p3}/votes`,
      {
        wallet: original.wallet,
        choice: original.choice,
        reason: original.reason,
        signedAt: Math.floor(h.clock.now().getTime() / 1000),
        signature: original.signature,
      },
      h.auth(alice),
    );
    expect([replay.status, replay.body!.code]).toEqual([400, "signature_invalid"]);
  });

  it("lists every vote with the typed data and signature, verifiable offline by viem", async () => {
    const res = await h.api.call("GET", `/v1/governance/proposals/${id}/votes`, undefined, h.auth(guardian));
    expect(res.status).toBe(200);
    expect(res.body!.votes).toHaveLength(2);
    for (const v of res.body!.votes) {
      expect(v.typedData.domain).toEqual({ name: "Vigil Governance", version: "1", chainId: 1 });
      expect(await verifyTypedData({ address: v.wallet, signature: v.signature, ...v.typedData })).toBe(true);
    }
  });

  it("closes as succeeded, queues for the timelock, and executes only after it", async () => {
    await later(3600);
    const queued = await get(id);
    expect(queued.body).toMatchObject({ state: "queued", timelockEnded: false });
    expect(queued.body!.result).toMatchObject({
      outcome: "succeeded",
      participation: 150,
      quorumReached: true,
    });
    const early = await h.api.call("POST", `/v1/governance/proposals/${id}/execute`, {}, h.auth(admin));
    expect([early.status, early.body!.code]).toEqual([409, "timelock_active"]);
    await later(24 * 3600);
    expect((await get(id)).body!.timelockEnded).toBe(true);
    const done = await h.api.call("POST", `/v1/governance/proposals/${id}/execute`, {}, h.auth(admin));
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body!.state).toBe("executed");
  });

  it("re-verifies from the log: signatures, snapshot power, recount", async () => {
    const out: string[] = [];
    const code = await cmdGovernanceVerify({ db: h.db, store: h.deps.store, out: (l) => out.push(l) }, id);
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toContain("for=100 (1)  against=50 (1)");
  });

  it("exits 1 when the log holds a vote that does not stand up (a forged signature, inflated power)", async () => {
    const forged = crypto.randomUUID();
    await h.deps.store.append(
      `vote-${forged}`,
      "no_stream",
      [
        {
          type: "VoteCast",
          data: {
            voteId: forged,
            proposalId: id,
            userId: carol.userId,
            chain: "ethereum",
            wallet: wallets.carol.address,
            choice: "against",
            reason: "",
            signedAt: 1,
            chainId: "1",
            signature: `0x${"22".repeat(64)}1b`,
            power: 1000,
          },
        },
      ],
      {
        actor: "system:test",
        ip: null,
        userAgent: null,
        requestId: null,
        correlationId: null,
        causationId: null,
      },
    );
    const out: string[] = [];
    const code = await cmdGovernanceVerify({ db: h.db, store: h.deps.store, out: (l) => out.push(l) }, id);
    expect(code).toBe(1);
    const text = out.join("\n");
    expect(text).toContain(`vote ${forged}: signature does not verify`);
    expect(text).toContain(`vote ${forged}: power at snapshot is 0, recorded 1000`);
    expect(text).toContain("governance verification FAILED");
  });

  it("documents every governance route in /openapi.json", async () => {
    const res = await h.app.request("/openapi.json");
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    for (const path of [
      "/v1/wallets/challenge",
      "/v1/governance/proposals/{id}/ballot",
      "/v1/governance/power/{userId}",
    ])
      expect(doc.paths[path], path).toBeDefined();
  });
});

describe("guardians and cancellation", () => {
  it("needs a guardian's approval to execute a high-risk proposal", async () => {
    const id = await propose(h, alice, { kind: "high_risk", quorumPercent: 1 });
    await later(61);
    await voteWith(h, alice, wallets.alice, id, "for");
    await later(3600);
    expect((await get(id)).body!.timelockSeconds).toBe(72 * 3600);
    await later(72 * 3600);
    const refused = await h.api.call("POST", `/v1/governance/proposals/${id}/execute`, {}, h.auth(admin));
    expect(refused.body!.code).toBe("approval_required");
    const late = await h.api.call(
      "POST",
      `/v1/governance/proposals/${id}/veto`,
      { reason: "too late now" },
      h.auth(guardian),
    );
    expect(late.body!.code).toBe("timelock_over");
    const ok = await h.api.call(
      "POST",
      `/v1/governance/proposals/${id}/approve`,
      { reason: "reviewed the code" },
      h.auth(guardian),
    );
    expect(ok.status).toBe(200);
    const done = await h.api.call("POST", `/v1/governance/proposals/${id}/execute`, {}, h.auth(admin));
    expect(done.body!.state).toBe("executed");
  });

  it("vetoes during the timelock and emails admins Vigil's words only", async () => {
    const id = await propose(h, alice, { quorumPercent: 1 });
    await later(61);
    await voteWith(h, alice, wallets.alice, id, "for");
    await later(3600);
    const reason = "see https://evil.example/phish now";
    const veto = await h.api.call(
      "POST",
      `/v1/governance/proposals/${id}/veto`,
      { reason },
      h.auth(guardian),
    );
    expect(veto.status, JSON.stringify(veto.body)).toBe(200);
    expect(veto.body!.state).toBe("vetoed");
    await h.pump();
    const mails = h.emails.filter((m) => (m.data as { text: string }).text.includes(id));
    expect(mails.length).toBeGreaterThan(0);
    for (const m of mails) {
      const { to, text, subject } = m.data as { to: string; text: string; subject: string };
      expect(to).toBe("admin@example.com");
      expect(`${subject}${text}`).not.toContain("evil.example");
      expect(text).not.toContain("Fund the audit");
    }
  });

  it("lets the proposer cancel before voting starts, and only an admin after", async () => {
    const id = await propose(h, alice);
    const byBob = await h.api.call("POST", `/v1/governance/proposals/${id}/cancel`, {}, h.auth(bob));
    expect(byBob.status).toBe(403);
    const ok = await h.api.call("POST", `/v1/governance/proposals/${id}/cancel`, {}, h.auth(alice));
    expect(ok.body!.state).toBe("cancelled");
    const id2 = await propose(h, alice);
    await later(61);
    const late = await h.api.call("POST", `/v1/governance/proposals/${id2}/cancel`, {}, h.auth(alice));
    expect([late.status, late.body!.code]).toEqual([409, "proposal_state"]);
    const noReason = await h.api.call("POST", `/v1/governance/proposals/${id2}/cancel`, {}, h.auth(admin));
    expect(noReason.status).toBe(400);
    const byAdmin = await h.api.call(
      "POST",
      `/v1/governance/proposals/${id2}/cancel`,
      { reason: "duplicate of #12" },
      h.auth(admin),
    );
    expect(byAdmin.body).toMatchObject({ state: "cancelled", cancelReason: "duplicate of #12" });
    const list = await h.api.call("GET", "/v1/governance/proposals?state=cancelled", undefined, h.auth(bob));
    expect(list.body!.proposals.map((p: { id: string }) => p.id)).toEqual([id2, id]);
  });
});
