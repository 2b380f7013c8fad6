import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { Catalog } from "../events/catalog/catalog.ts";
import { ChainVerified } from "../events/catalog/system.ts";
import { createEventStore, type EventStore } from "../events/store.ts";
import { START } from "../events/types.ts";
import { loadCheckpoint } from "../projections/checkpoints.ts";
import { catchUp } from "../projections/consumer.ts";
import { CounterIncremented, CounterReset, inc, meta } from "../test/fixtures/events.ts";
import { pgliteDb } from "../test/helpers/db.ts";
import { createBullQueue } from "./bullmq.ts";
import { createDispatcher, eventJob, type JobRoute } from "./dispatcher.ts";
import { EMAIL_SEND } from "./email.ts";
import { createInProcessQueue, type InProcessQueue } from "./in-process.ts";
import type { JobQueue, JobSpec } from "./queue.ts";
import { coreRoutes } from "./routes.ts";

// One job per increment; a second, keyed one for big increments; none for resets.
const routes: JobRoute[] = [
  {
    eventType: "CounterIncremented",
    jobs: (e) => {
      const { by } = e.data as { by: number };
      const jobs = [eventJob(e, "count", { by, stream: e.streamId })];
      if (by > 5) jobs.push(eventJob(e, "count", { by, big: true }, "big"));
      return jobs;
    },
  },
];

/** Wraps a queue so a test can make enqueue fail, and counts what got through. */
function flakyQueue(inner: JobQueue) {
  const state = { failAfter: Number.POSITIVE_INFINITY, calls: 0, enqueued: [] as JobSpec[] };
  const q: JobQueue = {
    ...inner,
    async enqueue(job) {
      if (++state.calls > state.failAfter) throw new Error("ECONNREFUSED 127.0.0.1:6379");
      await inner.enqueue(job);
      state.enqueued.push(job);
    },
  };
  return { q, state };
}

describe("dispatcher", () => {
  let db: Db;
  let store: EventStore;
  let queue: InProcessQueue;
  let ran: Map<string, number>;

  beforeEach(async () => {
    db = await pgliteDb();
    store = createEventStore({ db, catalog: new Catalog([CounterIncremented, CounterReset, ChainVerified]) });
    queue = createInProcessQueue({ backoffMs: 1 });
    ran = new Map();
    queue.createRunner().start({
      count: async (_d, ctx) => void ran.set(ctx.id, (ran.get(ctx.id) ?? 0) + 1),
      [EMAIL_SEND]: async (_d, ctx) => void ran.set(ctx.id, (ran.get(ctx.id) ?? 0) + 1),
    });
  });

  afterEach(async () => {
    await queue.close();
    await db.close();
  });

  const deps = () => ({ db, store, batchSize: 2 });

  async function appendSome() {
    const a = await store.append("counter-a", "no_stream", [inc(1), inc(7)], meta);
    const b = await store.append(
      "counter-b",
      "no_stream",
      [{ type: "CounterReset", data: {} }, inc(2)],
      meta,
    );
    return [...a.events, ...b.events];
  }

  it("turns each routed event into exactly one job per route output, with ids derived from the event", async () => {
    const events = await appendSome();
    const { q, state } = flakyQueue(queue);
    const dispatcher = createDispatcher({ queue: q, routes });
    expect(dispatcher.name).toBe("dispatcher");
    expect(await catchUp(deps(), dispatcher)).toBe(4);
    await queue.drain();

    const incs = events.filter((e) => e.type === "CounterIncremented");
    const expected = [
      `${incs[0]!.eventId}/count`,
      `${incs[1]!.eventId}/count`,
      `${incs[1]!.eventId}/count/big`,
      `${incs[2]!.eventId}/count`,
    ];
    expect(state.enqueued.map((j) => j.id).sort()).toEqual([...expected].sort());
    expect(Object.fromEntries(ran)).toEqual(Object.fromEntries(expected.map((id) => [id, 1])));
    expect(await loadCheckpoint(db, "dispatcher")).toEqual(events.at(-1)!.position);
  });

  it("keeps its checkpoint when the queue is down, then delivers every job once", async () => {
    await appendSome();
    const { q, state } = flakyQueue(queue);
    const dispatcher = createDispatcher({ queue: q, routes });

    // Down from the start: nothing moves.
    state.failAfter = 0;
    await expect(catchUp(deps(), dispatcher)).rejects.toThrow(/ECONNREFUSED/);
    expect(await loadCheckpoint(db, "dispatcher")).toEqual(START);

    // Down half way through the first batch (a crash between enqueue and commit
    // looks the same): two of its three jobs are queued, the checkpoint stays.
    state.calls = 0;
    state.failAfter = 2;
    await expect(catchUp(deps(), dispatcher)).rejects.toThrow(/ECONNREFUSED/);
    expect(await loadCheckpoint(db, "dispatcher")).toEqual(START);
    expect(state.enqueued).toHaveLength(2);

    // Events appended while it was down are not skipped either.
    await store.append("counter-c", "no_stream", [inc(3)], meta);
    state.failAfter = Number.POSITIVE_INFINITY;
    await catchUp(deps(), dispatcher);
    await catchUp(deps(), dispatcher); // caught up: a second run reads nothing
    await queue.drain();

    expect((await loadCheckpoint(db, "dispatcher")).id).toBeGreaterThan(0);
    // 5 distinct jobs, each ran once, though two were enqueued twice.
    expect(ran.size).toBe(5);
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    expect(state.enqueued).toHaveLength(7);
    expect(queue.counts()).toMatchObject({ completed: 5, failed: 0 });
  });

  it("rolls back when a real BullMQ queue cannot reach Redis", async () => {
    await appendSome();
    const dead = createBullQueue({ redisUrl: "redis://127.0.0.1:1", timeoutMs: 300 });
    try {
      await expect(catchUp(deps(), createDispatcher({ queue: dead, routes }))).rejects.toThrow();
      expect(await loadCheckpoint(db, "dispatcher")).toEqual(START);
    } finally {
      await dead.close();
    }
  });

  it("refuses a route whose job id is not derived from the event", async () => {
    await appendSome();
    const bad: JobRoute = {
      eventType: "CounterIncremented",
      jobs: () => [{ name: "count", id: "fixed", data: {} }],
    };
    await expect(catchUp(deps(), createDispatcher({ queue, routes: [bad] }))).rejects.toThrow(/not derived/);
    const twice: JobRoute[] = [routes[0]!, routes[0]!];
    await expect(catchUp(deps(), createDispatcher({ queue, routes: twice }))).rejects.toThrow(/same job id/);
    expect(await loadCheckpoint(db, "dispatcher")).toEqual(START);
  });

  it("moves past events no route wants", async () => {
    const r = await store.append("counter-z", "no_stream", [{ type: "CounterReset", data: {} }], meta);
    await catchUp(deps(), createDispatcher({ queue, routes }));
    expect(await loadCheckpoint(db, "dispatcher")).toEqual(r.events[0]!.position);
    expect(queue.counts().completed).toBe(0);
  });

  describe("core routes", () => {
    const verified = (broken: number) => ({
      type: "ChainVerified",
      data: {
        streams: 12,
        events: 340,
        broken,
        firstBreak: broken ? { streamId: "user-42", version: 3, reason: "hash mismatch" } : null,
      },
    });

    it("emails the security contact when a chain check found a break, and only then", async () => {
      const ok = await store.append("system-chain", "any", [verified(0)], meta);
      const bad = await store.append("system-chain", "any", [verified(2)], meta);
      const { q, state } = flakyQueue(queue);
      await catchUp(
        deps(),
        createDispatcher({ queue: q, routes: coreRoutes({ securityEmail: "sec@example.com" }) }),
      );
      expect(state.enqueued).toHaveLength(1);
      const [job] = state.enqueued;
      expect(job!.id).toBe(`${bad.events[0]!.eventId}/${EMAIL_SEND}`);
      expect(job!.name).toBe(EMAIL_SEND);
      const mail = job!.data as { to: string; subject: string; text: string };
      expect(mail.to).toBe("sec@example.com");
      expect(mail.subject).toMatch(/broken in 2 streams/);
      expect(mail.text).toContain("stream user-42 at version 3: hash mismatch");
      expect(ok.events[0]!.eventId).not.toBe(bad.events[0]!.eventId);
    });
  });
});

describe("core routes without a security contact", () => {
  it("has none", () => {
    expect(coreRoutes({})).toEqual([]);
  });
});
