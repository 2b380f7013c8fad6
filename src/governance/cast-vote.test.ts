/**
 * The vote's one-statement write (`vigil_cast_vote`, db/migrations/0014),
 * called through castVote with a signature checker that changes the world
 * while the signature is "being checked": what the statement must see again
 * under its lock (an unlink, a cancel, an earlier vote) is refused with its
 * reason and writes nothing; what it writes is the row the inline votes
 * projection makes from the same event, so a rebuild reproduces it.
 * PGlite, or real Postgres when TEST_DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import type { EventMetadata } from "../../events/types.ts";
import { votesProjection } from "../../projections/governance.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import type { TestUser } from "../access/testing.ts";
import { AppError } from "../http/errors.ts";
import { voteDigest } from "./ballot.ts";
import { inlineSignatures, type SignatureChecker } from "./crypto/signature-pool.ts";
import { snapshotPower } from "./power.ts";
import { votingWindows } from "./queries.ts";
import { accountFor, type GovernanceHarness, governanceHarness, linkEthereum, propose } from "./testing.ts";
import { castVote, type VoteDeps } from "./votes.ts";
import { unlinkWallet, walletsOf } from "./wallets.ts";

let h: GovernanceHarness;
let db: Db | undefined;
let admin: TestUser;
const meta = (u: TestUser): EventMetadata => ({
  actor: `user:${u.userId}`,
  ip: "203.0.113.7",
  userAgent: "cast-vote test",
  requestId: null,
  correlationId: null,
  causationId: null,
});

beforeAll(async () => {
  db = TEST_DATABASE_URL ? await postgresDb() : undefined;
  h = await governanceHarness({ db });
  admin = await h.user("admin@example.com", ["admin"]);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await db?.close();
});

/** A stakeholder with a linked wallet and power, and an active proposal. */
async function voterAndProposal(name: string) {
  const u = await h.user(`${name}@example.com`, ["stakeholder"]);
  const account = accountFor(name);
  await linkEthereum(h, u, account);
  const res = await h.api.call(
    "PUT",
    `/v1/governance/power/${u.userId}`,
    { power: 7, reason: "test" },
    h.auth(admin),
  );
  expect(res.status).toBe(200);
  const proposalId = await propose(h, admin);
  h.clock.advance(61);
  await h.pump();
  const signedAt = Math.floor(h.clock.now().getTime() / 1000);
  const fields = { proposalId, choice: "for", voter: account.address, signedAt, reason: "" };
  const signature = await account.sign({ hash: toHex(voteDigest(h.deps.config.governance.chainId, fields)) });
  return { u, account, proposalId, input: { wallet: account.address, choice: "for", signedAt, signature } };
}

const toHex = (b: Uint8Array): `0x${string}` => `0x${Buffer.from(b).toString("hex")}`;

/** The real check, after `meanwhile` has run (as if it happened while the signature was checked). */
function checkerThat(meanwhile: () => Promise<void>): SignatureChecker {
  return {
    async recoverAddress(hash, signature) {
      await meanwhile();
      return inlineSignatures.recoverAddress(hash, signature);
    },
    verifySolana: inlineSignatures.verifySolana,
  };
}

const depsWith = (signatures: SignatureChecker): VoteDeps => ({
  ...h.deps,
  powerAt: snapshotPower(h.deps.store),
  windowOf: votingWindows(h.db),
  signatures,
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error("expected a refusal");
}

async function recorded(proposalId: string, userId: string) {
  const events = (await h.events()).filter(
    (e) => (e.data as { proposalId?: string; userId?: string }).proposalId === proposalId,
  );
  const rows = await h.db.query("SELECT * FROM governance_votes WHERE proposal_id = $1 AND user_id = $2", [
    proposalId,
    userId,
  ]);
  return {
    cast: events.filter((e) => e.type === "VoteCast"),
    refused: events.filter((e) => e.type === "VoteRefused").map((e) => (e.data as { reason: string }).reason),
    rows,
  };
}

describe("a vote's one-statement write", () => {
  it("writes the row the votes projection makes from the event (a rebuild reproduces it)", async () => {
    const { u, proposalId, input } = await voterAndProposal("dana");
    const vote = await castVote(depsWith(inlineSignatures), u.userId, proposalId, input, meta(u));
    expect(vote.power).toBe(7);
    const { cast, rows } = await recorded(proposalId, u.userId);
    expect(cast).toHaveLength(1);
    expect(rows).toHaveLength(1);
    // What the projection would insert for the event as the log holds it.
    const projected: unknown[][] = [];
    await votesProjection.apply(
      {
        async query<T>(_text: string, params: readonly unknown[] = []) {
          projected.push([...params]);
          return [] as T[];
        },
      },
      cast[0]!,
    );
    const r = rows[0]!;
    const written = [
      r.vote_id,
      r.proposal_id,
      r.user_id,
      r.chain,
      r.wallet,
      r.choice,
      Number(r.power),
      Number(r.signed_at),
      r.reason,
      r.signature,
      r.chain_id,
      new Date(r.cast_at as string).toISOString(),
      String(r.tx_id),
      Number(r.event_pos),
    ];
    const p = projected[0]!;
    expect(written).toEqual([...p.slice(0, 6), Number(p[6]), Number(p[7]), ...p.slice(8, 13), Number(p[13])]);
  }, 120_000);

  it("refuses a vote whose wallet was unlinked while its signature was checked", async () => {
    const { u, proposalId, input } = await voterAndProposal("erin");
    const unlink = async () => {
      const [w] = await walletsOf(h.db, u.userId);
      await unlinkWallet(h.deps, u.userId, w!.walletId, meta(u));
    };
    expect(await refusal(castVote(depsWith(checkerThat(unlink)), u.userId, proposalId, input, meta(u)))).toBe(
      "wallet_not_linked",
    );
    const { cast, refused, rows } = await recorded(proposalId, u.userId);
    expect([cast.length, rows.length, refused]).toEqual([0, 0, ["wallet_not_linked"]]);
  }, 120_000);

  it("refuses a vote whose proposal was cancelled while its signature was checked", async () => {
    const { u, proposalId, input } = await voterAndProposal("fay");
    const cancel = async () => {
      const res = await h.api.call(
        "POST",
        `/v1/governance/proposals/${proposalId}/cancel`,
        { reason: "superseded" },
        h.auth(admin),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    expect(await refusal(castVote(depsWith(checkerThat(cancel)), u.userId, proposalId, input, meta(u)))).toBe(
      "voting_closed",
    );
    const { cast, refused, rows } = await recorded(proposalId, u.userId);
    expect([cast.length, rows.length, refused]).toEqual([0, 0, ["voting_closed"]]);
  }, 120_000);

  it("refuses a vote on a cancelled proposal whose window this instance kept from when it was active", async () => {
    const { u, proposalId, input } = await voterAndProposal("hal");
    const deps = depsWith(inlineSignatures);
    expect((await deps.windowOf(proposalId))?.state).toBe("active");
    const res = await h.api.call(
      "POST",
      `/v1/governance/proposals/${proposalId}/cancel`,
      { reason: "superseded" },
      h.auth(admin),
    );
    expect(res.status).toBe(200);
    expect((await deps.windowOf(proposalId))?.state).toBe("active"); // kept: stale on purpose
    expect(await refusal(castVote(deps, u.userId, proposalId, input, meta(u)))).toBe("voting_closed");
    const { cast, refused } = await recorded(proposalId, u.userId);
    expect([cast.length, refused]).toEqual([0, ["voting_closed"]]);
  }, 120_000);

  it("keeps a proposal's window once it is active, and reads it each time before", async () => {
    const proposalId = await propose(h, admin);
    let reads = 0;
    const windows = votingWindows({
      query: (text, params) => {
        reads++;
        return h.db.query(text, params);
      },
    });
    expect((await windows(proposalId))?.state).toBe("pending");
    expect((await windows(proposalId))?.state).toBe("pending");
    h.clock.advance(61);
    await h.pump();
    expect((await windows(proposalId))?.state).toBe("active");
    expect((await windows(proposalId))?.snapshot).not.toBeNull();
    expect(reads).toBe(3);
    expect(await windows(crypto.randomUUID())).toBeNull();
  }, 120_000);

  it("refuses a second vote that passed the first read before the first one committed", async () => {
    const { u, proposalId, input } = await voterAndProposal("gus");
    const first = () =>
      castVote(depsWith(inlineSignatures), u.userId, proposalId, input, meta(u)).then(() => {});
    expect(await refusal(castVote(depsWith(checkerThat(first)), u.userId, proposalId, input, meta(u)))).toBe(
      "already_voted",
    );
    const { cast, refused, rows } = await recorded(proposalId, u.userId);
    expect([cast.length, rows.length, refused]).toEqual([1, 1, ["already_voted"]]);
  }, 120_000);
});
