/**
 * Hostile input on every governance and wallet route: each answers
 * problem+json with a stable code (never a 500, a stack or SQL), writes
 * nothing it should not, and keeps its promises (single-use challenges,
 * another user's things invisible). Also the Solana path, end to end.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { base58 } from "@scure/base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import type { TestUser } from "../access/testing.ts";
import { accountFor, type GovernanceHarness, governanceHarness, linkEthereum, propose } from "./testing.ts";

let h: GovernanceHarness;
let db: Db | undefined;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let proposalId: string;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  db = TEST_DATABASE_URL ? await postgresDb() : undefined;
  h = await governanceHarness({ db });
  admin = await h.user("admin@example.com", ["admin"]);
  alice = await h.user("alice@example.com", ["stakeholder"]);
  bob = await h.user("bob@example.com", ["stakeholder"]);
  await linkEthereum(h, alice, accountFor("alice"));
  proposalId = await propose(h, alice);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await db?.close();
});

async function problem(
  method: string,
  path: string,
  body: unknown,
  user: TestUser,
  status: number,
  code?: string,
): Promise<Record<string, unknown>> {
  const res = await h.api.call(method, path, body, h.auth(user));
  expect(
    res.status,
    `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} → ${JSON.stringify(res.body)}`,
  ).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  if (code) expect(res.body!.code).toBe(code);
  expect(JSON.stringify(res.body)).not.toMatch(/stack|at .*\.ts:|SELECT|INSERT/);
  return res.body!;
}

const P = (suffix = "") => `/v1/governance/proposals/${proposalId}${suffix}`;

describe("wallet routes", () => {
  it("refuse malformed challenges", async () => {
    for (const body of [
      {},
      { chain: "bitcoin", address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" },
      { chain: "ethereum", address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD" },
      { chain: "ethereum", address: "0x".padEnd(42, "g") },
      { chain: "ethereum", address: "x".repeat(10_000) },
      { chain: "solana", address: "0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl" },
      { chain: "ethereum", address: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"] },
      [],
    ])
      await problem("POST", "/v1/wallets/challenge", body, alice, 400, "validation_failed");
  });

  it("refuse forged, altered, foreign, reused and expired link attempts, each with its code and event", async () => {
    const account = accountFor("hostile");
    const challenge = async (u: TestUser) =>
      (
        await h.api.call(
          "POST",
          "/v1/wallets/challenge",
          { chain: "ethereum", address: account.address },
          h.auth(u),
        )
      ).body!.message as string;
    await problem(
      "POST",
      "/v1/wallets",
      { message: "hello", signature: "0x00" },
      alice,
      400,
      "malformed_message",
    );
    const bobs = await challenge(bob);
    const bobSig = await account.signMessage({ message: bobs });
    await problem(
      "POST",
      "/v1/wallets",
      { message: bobs, signature: bobSig },
      alice,
      400,
      "challenge_unknown",
    );
    const m1 = await challenge(alice);
    const altered = m1.replace("Link this wallet", "Drain this wallet");
    await problem(
      "POST",
      "/v1/wallets",
      { message: altered, signature: await account.signMessage({ message: altered }) },
      alice,
      400,
      "malformed_message",
    );
    await problem(
      "POST",
      "/v1/wallets",
      { message: m1, signature: await account.signMessage({ message: m1 }) },
      alice,
      409,
      "challenge_used",
    );
    const m2 = await challenge(alice);
    const other = await accountFor("someone else").signMessage({ message: m2 });
    await problem("POST", "/v1/wallets", { message: m2, signature: other }, alice, 400, "signature_invalid");
    const m3 = await challenge(alice);
    h.clock.advance(301);
    await problem(
      "POST",
      "/v1/wallets",
      { message: m3, signature: await account.signMessage({ message: m3 }) },
      alice,
      400,
      "challenge_expired",
    );
    const reasons = (await h.events())
      .filter((e) => e.type === "WalletLinkFailed")
      .map((e) => (e.data as { reason: string }).reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        "malformed_message",
        "unknown_challenge",
        "message_mismatch",
        "challenge_used",
        "bad_signature",
        "challenge_expired",
      ]),
    );
    const relog = await h.api.login(alice.email, "plum-harbour-velvet-42");
    alice.token = relog.body!.accessToken;
  });

  it("hide another user's wallet and refuse bad ids", async () => {
    const mine = (await h.api.call("GET", "/v1/wallets", undefined, h.auth(alice))).body!.wallets;
    expect(mine).toHaveLength(1);
    await problem("DELETE", `/v1/wallets/${mine[0].walletId}`, undefined, bob, 404, "not_found");
    await problem("DELETE", "/v1/wallets/not-a-uuid", undefined, alice, 400, "validation_failed");
    await problem("DELETE", "/v1/wallets/..%2F..%2Fetc", undefined, alice, 400);
  });

  it("link and vote with a Solana wallet (ed25519, base58)", async () => {
    const secret = keccak_256(utf8ToBytes("solana voter"));
    const address = base58.encode(ed25519.getPublicKey(secret));
    const sign = (text: string) => base58.encode(ed25519.sign(utf8ToBytes(text), secret));
    const ch = await h.api.call("POST", "/v1/wallets/challenge", { chain: "solana", address }, h.auth(bob));
    expect(ch.body!.message).toContain("wants you to sign in with your Solana account:");
    const linked = await h.api.call(
      "POST",
      "/v1/wallets",
      { message: ch.body!.message, signature: sign(ch.body!.message) },
      h.auth(bob),
    );
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    await h.api.call(
      "PUT",
      `/v1/governance/power/${bob.userId}`,
      { power: 7, reason: "solana holder" },
      h.auth(admin),
    );
    const id = await propose(h, bob);
    h.clock.advance(61);
    await h.pump();
    for (const u of [admin, bob])
      u.token = (await h.api.login(u.email, "plum-harbour-velvet-42")).body!.accessToken;
    const signedAt = Math.floor(h.clock.now().getTime() / 1000);
    const ballot = await h.api.call(
      "GET",
      `/v1/governance/proposals/${id}/ballot?wallet=${address}&choice=against&signedAt=${signedAt}`,
      undefined,
      h.auth(bob),
    );
    expect(ballot.body!.message).toContain(`Proposal: ${id}`);
    const vote = await h.api.call(
      "POST",
      `/v1/governance/proposals/${id}/votes`,
      { wallet: address, choice: "against", signedAt, signature: sign(ballot.body!.message) },
      h.auth(bob),
    );
    expect(vote.status, JSON.stringify(vote.body)).toBe(201);
    expect(vote.body!.power).toBe(7);
  });
});

describe("governance routes", () => {
  it("refuse bad power assignments", async () => {
    const path = `/v1/governance/power/${bob.userId}`;
    for (const body of [
      { power: -1, reason: "negative" },
      { power: 1.5, reason: "fraction" },
      { power: 1e13, reason: "too much" },
      { power: "10", reason: "string" },
      { power: 10 },
      { power: 10, reason: "line\nbreak" },
    ])
      await problem("PUT", path, body, admin, 400, "validation_failed");
    await problem(
      "PUT",
      `/v1/governance/power/${UNKNOWN}`,
      { power: 1, reason: "nobody" },
      admin,
      404,
      "not_found",
    );
    await problem("PUT", "/v1/governance/power/1%20OR%201=1", { power: 1, reason: "injection" }, admin, 400);
    await problem("GET", "/v1/governance/power/abc", undefined, alice, 400);
  });

  it("refuse bad proposals", async () => {
    const now = h.clock.now().getTime();
    const ok = {
      title: "t",
      votingStartsAt: new Date(now + 60_000).toISOString(),
      votingEndsAt: new Date(now + 60_000 + 3_600_000).toISOString(),
    };
    for (const patch of [
      { title: "x".repeat(201) },
      { title: "two\nlines" },
      { title: "" },
      { body: "b".repeat(20_001) },
      { body: "nul \u0000 byte" },
      { choices: ["yes"] },
      { choices: ["yes", "yes"] },
      { choices: Array.from({ length: 11 }, (_, i) => `c${i}`) },
      { kind: "emergency" },
      { quorumPercent: 101 },
      { thresholdPercent: 0 },
      { votingStartsAt: "yesterday" },
      { votingStartsAt: new Date(now - 3_600_000).toISOString() },
      { votingEndsAt: new Date(now + 60_000 + 3_599_000).toISOString() },
    ])
      await problem("POST", "/v1/governance/proposals", { ...ok, ...patch }, alice, 400, "validation_failed");
    const before = (await h.api.call("GET", "/v1/governance/proposals?limit=100", undefined, h.auth(alice)))
      .body!.proposals.length;
    await problem("POST", "/v1/governance/proposals", "not an object", alice, 400);
    const after = (await h.api.call("GET", "/v1/governance/proposals?limit=100", undefined, h.auth(alice)))
      .body!.proposals.length;
    expect(after).toBe(before);
  });

  it("refuse bad queries and ids", async () => {
    await problem("GET", "/v1/governance/proposals?state=bogus", undefined, alice, 400);
    await problem("GET", "/v1/governance/proposals?limit=0", undefined, alice, 400);
    await problem("GET", "/v1/governance/proposals?cursor=';DROP TABLE events;--", undefined, alice, 400);
    await problem("GET", `/v1/governance/proposals/${UNKNOWN}`, undefined, alice, 404, "not_found");
    await problem("GET", "/v1/governance/proposals/zzz", undefined, alice, 400);
    await problem("GET", `/v1/governance/proposals/${UNKNOWN}/votes`, undefined, alice, 404);
  });

  it("refuse bad interventions", async () => {
    for (const verb of ["cancel", "veto", "approve", "execute"]) {
      const user =
        verb === "veto" || verb === "approve" ? await h.user(`g-${verb}@example.com`, ["guardian"]) : admin;
      await problem(
        "POST",
        `/v1/governance/proposals/${UNKNOWN}/${verb}`,
        { reason: "unknown one" },
        user,
        404,
        "not_found",
      );
      await problem("POST", P(`/${verb}`), { reason: "bell\u0007" }, user, 400, "validation_failed");
      await problem("POST", P(`/${verb}`), { reason: "r".repeat(501) }, user, 400, "validation_failed");
    }
    await problem(
      "POST",
      P("/veto"),
      { reason: "not queued yet" },
      await h.user("g2@example.com", ["guardian"]),
      409,
      "proposal_state",
    );
  });

  it("refuse bad ballots and votes", async () => {
    await problem("GET", P("/ballot"), undefined, alice, 400);
    await problem("GET", P("/ballot?wallet=0x1234&choice=for"), undefined, alice, 400);
    await problem(
      "GET",
      P(`/ballot?wallet=${accountFor("alice").address}&choice=nope`),
      undefined,
      alice,
      400,
      "invalid_choice",
    );
    const base = {
      wallet: accountFor("alice").address,
      choice: "for",
      signedAt: 1,
      signature: `0x${"ab".repeat(65)}`,
    };
    for (const patch of [
      { signature: "0x1234" },
      { signature: "<script>" },
      { signedAt: -1 },
      { signedAt: 1.5 },
      { signedAt: "now" },
      { wallet: "" },
      { choice: "" },
      { reason: "a\u0000b" },
    ])
      await problem("POST", P("/votes"), { ...base, ...patch }, alice, 400, "validation_failed");
    await problem("POST", `/v1/governance/proposals/${UNKNOWN}/votes`, base, alice, 404, "not_found");
  });
});
