/**
 * Governance on real Postgres and Redis: the whole life cycle driven by the
 * dispatcher and BullMQ delayed jobs (short configured windows, the real
 * clock), and races that only real concurrency shows: one voter's votes
 * racing (exactly one counts), a vote racing a cancel (it sees the cancel it
 * waited for), and two users racing to link one address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import type { RunningConsumer } from "../../projections/consumer.ts";
import { asyncProjections } from "../../projections/index.ts";
import { runProjections } from "../../projections/runner.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { createBullQueue } from "../../workers/bullmq.ts";
import { createMemoryMailer } from "../../workers/email.ts";
import { type RunningWorkers, startWorkers } from "../../workers/index.ts";
import type { JobQueue } from "../../workers/queue.ts";
import type { TestUser } from "../access/testing.ts";
import type { TestClock } from "../identity/testing.ts";
import { governanceJobHandlers, governanceJobRoutes } from "./jobs.ts";
import { accountFor, type GovernanceHarness, governanceHarness, linkEthereum, voteWith } from "./testing.ts";

const realClock = (): TestClock => ({
  now: () => new Date(),
  set: () => {
    throw new Error("the real clock cannot be set");
  },
  advance: () => {
    throw new Error("the real clock cannot be moved");
  },
});

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(
  "governance on Postgres, Redis and BullMQ (set TEST_DATABASE_URL and TEST_REDIS_URL to run)",
  () => {
    let db: Db;
    let h: GovernanceHarness;
    let queue: JobQueue;
    let workers: RunningWorkers;
    let projections: RunningConsumer[];
    let admin: TestUser;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      db = await postgresDb();
      h = await governanceHarness({
        db,
        clock: realClock(),
        env: { GOVERNANCE_MIN_VOTING_SECONDS: "3", GOVERNANCE_TIMELOCK_SECONDS: "2" },
      });
      queue = createBullQueue({
        redisUrl: TEST_REDIS_URL!,
        prefix: `vigil-gov-${crypto.randomUUID().slice(0, 8)}`,
        backoffMs: 200,
      });
      workers = startWorkers({
        db,
        store: h.deps.store,
        queue,
        mailer: createMemoryMailer(),
        routes: governanceJobRoutes,
        handlers: governanceJobHandlers(h.deps, queue),
        logger: h.deps.logger,
        pollMs: 50,
      });
      projections = runProjections({ db, store: h.deps.store, pollMs: 50 }, asyncProjections());
      admin = await h.user("admin@example.com", ["admin"]);
      alice = await h.user("alice@example.com", ["stakeholder"]);
      bob = await h.user("bob@example.com", ["stakeholder"]);
      await linkEthereum(h, alice, accountFor("alice"));
      await linkEthereum(h, bob, accountFor("bob"));
      for (const u of [alice, bob]) {
        const res = await h.api.call(
          "PUT",
          `/v1/governance/power/${u.userId}`,
          { power: 10, reason: "founding members" },
          h.auth(admin),
        );
        expect(res.status).toBe(200);
      }
    }, 300_000);

    afterAll(async () => {
      await Promise.all((projections ?? []).map((p) => p.stop()));
      await workers?.stop();
      await queue?.close();
      await h?.close();
      await db?.close();
    });

    const get = (id: string) => h.api.call("GET", `/v1/governance/proposals/${id}`, undefined, h.auth(alice));
    const stateIs = (id: string, state: string) => async () => {
      const res = await get(id);
      return res.body?.state === state ? res.body : undefined;
    };

    async function openProposal(): Promise<string> {
      const start = new Date(Date.now() + 1500);
      const res = await h.api.call(
        "POST",
        "/v1/governance/proposals",
        {
          title: "Raise the grants budget",
          votingStartsAt: start.toISOString(),
          votingEndsAt: new Date(start.getTime() + 3000).toISOString(),
          quorumPercent: 10,
        },
        h.auth(alice),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      await until("activation by the delayed job", stateIs(res.body!.id, "active"));
      return res.body!.id;
    }

    it("runs pending → active → queued → executable on delayed jobs, then executes", async () => {
      const id = await openProposal();
      const vote = await voteWith(h, alice, accountFor("alice"), id, "for");
      expect(vote.status, JSON.stringify(vote.body)).toBe(201);
      const live = await until("the live tally", async () => {
        const res = await get(id);
        return res.body?.tally?.for?.votes === 1 ? res.body : undefined;
      });
      expect(live.tally.for.power).toBe(10);
      const queued = await until("the close by the delayed job", stateIs(id, "queued"));
      expect(queued.result).toMatchObject({ outcome: "succeeded", participation: 10, totalPower: 20 });
      await until("the end of the timelock", async () => (await get(id)).body?.timelockEnded === true);
      const done = await h.api.call("POST", `/v1/governance/proposals/${id}/execute`, {}, h.auth(admin));
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body!.state).toBe("executed");
    }, 120_000);

    it("counts exactly one of a voter's racing votes", async () => {
      const id = await openProposal();
      const now = Math.floor(Date.now() / 1000);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          voteWith(h, bob, accountFor("bob"), id, i % 2 ? "for" : "against", { signedAt: now - i }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status !== 201).every((r) => r.body!.code === "already_voted")).toBe(
        true,
      );
      const [row] = await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM events WHERE type = 'VoteCast' AND data->>'proposalId' = $1",
        [id],
      );
      expect(row!.n).toBe("1");
    }, 120_000);

    it("refuses a vote that waited on the proposal while a cancel committed: it reads the state again under the lock", async () => {
      const id = await openProposal();
      let holderPid = 0;
      // Sessions waiting behind the holder, directly or behind one that is (other
      // test files share the server, so only this holder's queue counts).
      const lockWaits = async () => {
        const [row] = await db.query<{ n: string }>(
          `WITH direct AS (SELECT pid FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid)))
           SELECT count(*)::text AS n FROM pg_stat_activity a
           WHERE a.pid IN (SELECT pid FROM direct) OR pg_blocking_pids(a.pid) && ARRAY(SELECT pid FROM direct)`,
          [holderPid],
        );
        return Number(row!.n);
      };
      // A transaction holds the proposal's stream row, as a transition does; an
      // admin's cancel queues behind it, then the vote (its checks pass: the
      // proposal is still active) queues behind the cancel.
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const holder = db.transaction(async (tx) => {
        await tx.query("SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", [`proposal-${id}`]);
        const [me] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        holderPid = me!.pid;
        locked();
        await held;
      });
      await isLocked;
      const cancel = h.api.call(
        "POST",
        `/v1/governance/proposals/${id}/cancel`,
        { reason: "superseded" },
        h.auth(admin),
      );
      await until("the cancel waiting", async () => (await lockWaits()) >= 1);
      const vote = voteWith(h, alice, accountFor("alice"), id, "for");
      await until("the vote waiting", async () => (await lockWaits()) >= 2);
      release();
      await holder;
      expect((await cancel).status).toBe(200);
      const refused = await vote;
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body!.code).toBe("voting_closed");
      const [row] = await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM events WHERE type = 'VoteCast' AND data->>'proposalId' = $1",
        [id],
      );
      expect(row!.n).toBe("0");
    }, 120_000);

    it("links an address to one of two users racing for it", async () => {
      const account = accountFor("contested");
      const carol = await h.user("carol@example.com", ["stakeholder"]);
      const dave = await h.user("dave@example.com", ["stakeholder"]);
      const signed = await Promise.all(
        [carol, dave].map(async (u) => {
          const ch = await h.api.call(
            "POST",
            "/v1/wallets/challenge",
            { chain: "ethereum", address: account.address },
            h.auth(u),
          );
          return {
            u,
            message: ch.body!.message as string,
            signature: await account.signMessage({ message: ch.body!.message }),
          };
        }),
      );
      const results = await Promise.all(
        signed.map(({ u, message, signature }) =>
          h.api.call("POST", "/v1/wallets", { message, signature }, h.auth(u)),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(results.find((r) => r.status === 409)!.body!.code).toBe("address_taken");
    }, 120_000);
  },
);
