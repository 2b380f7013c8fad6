import { describe, expect, it } from "vitest";
import { createInProcessQueue } from "./in-process.ts";
import { type JobContext, PermanentJobError } from "./queue.ts";

const job = (id: string, data: unknown = {}, name = "work") => ({ name, id, data });

describe("in-process job queue", () => {
  it("runs a job once per id, however often it is enqueued", async () => {
    const q = createInProcessQueue();
    const ran: string[] = [];
    q.createRunner().start({ work: async (data) => void ran.push((data as { n: string }).n) });
    await q.enqueue(job("a", { n: "a1" }));
    await q.enqueue(job("a", { n: "a2" })); // still waiting or running
    await q.enqueue(job("b", { n: "b" }));
    await q.drain();
    await q.enqueue(job("a", { n: "a3" })); // already completed
    await q.drain();
    expect(ran).toEqual(["a1", "b"]);
    expect(q.counts()).toMatchObject({ completed: 2, failed: 0, waiting: 0 });
    await q.close();
  });

  it("retries with exponential backoff, then keeps the job in the failed list", async () => {
    const q = createInProcessQueue({ attempts: 4, backoffMs: 20 });
    const runs: { at: number; ctx: JobContext }[] = [];
    q.createRunner().start({
      work: async (_d, ctx) => {
        runs.push({ at: performance.now(), ctx });
        throw new Error(`boom ${ctx.attempt}`);
      },
    });
    await q.enqueue(job("x", { to: "someone" }));
    await q.drain();
    expect(runs.map((r) => r.ctx.attempt)).toEqual([1, 2, 3, 4]);
    expect(runs.every((r) => r.ctx.maxAttempts === 4 && r.ctx.id === "x")).toBe(true);
    const gaps = runs.slice(1).map((r, i) => r.at - runs[i]!.at);
    // 20, 40, 80 ms (timers may fire a hair early, never much)
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
    const failed = await q.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      id: "x",
      name: "work",
      data: { to: "someone" },
      attemptsMade: 4,
      error: "boom 4",
    });
    // A failed id still dedupes: the same event does not make a second job.
    await q.enqueue(job("x"));
    await q.drain();
    expect(runs).toHaveLength(4);
    await q.close();
  });

  it("completes a job that succeeds on a retry", async () => {
    const q = createInProcessQueue({ backoffMs: 1 });
    const attempts: number[] = [];
    q.createRunner().start({
      work: async (_d, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error("transient");
      },
    });
    await q.enqueue(job("y"));
    await q.drain();
    expect(attempts).toEqual([1, 2, 3]);
    expect(await q.failed()).toEqual([]);
    expect(q.counts().completed).toBe(1);
    await q.close();
  });

  it("keeps running after handler errors; permanent errors and unknown jobs fail without retries", async () => {
    const q = createInProcessQueue({ attempts: 5, backoffMs: 1 });
    const done: string[] = [];
    let permanentRuns = 0;
    q.createRunner({ concurrency: 2 }).start({
      work: async (_d, ctx) => {
        if (ctx.id === "bad") throw new TypeError("handler bug");
        done.push(ctx.id);
      },
      perm: async () => {
        permanentRuns++;
        throw new PermanentJobError("invalid data");
      },
    });
    await q.enqueue(job("bad"));
    await q.enqueue(job("p", {}, "perm"));
    await q.enqueue(job("u", {}, "nobody-handles-this"));
    await q.enqueue(job("ok1"));
    await q.enqueue(job("ok2"));
    await q.drain();
    expect(done.sort()).toEqual(["ok1", "ok2"]);
    expect(permanentRuns).toBe(1);
    const failed = await q.failed();
    expect(Object.fromEntries(failed.map((f) => [f.id, f.attemptsMade]))).toEqual({ bad: 5, p: 1, u: 1 });
    expect(failed.find((f) => f.id === "u")?.error).toMatch(/no handler/);
    await q.close();
  });

  it("close waits for the job in hand, then refuses new jobs", async () => {
    const q = createInProcessQueue();
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    q.createRunner().start({
      work: async () => {
        started();
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    await q.enqueue(job("slow"));
    await running;
    await q.close();
    expect(finished).toBe(true);
    await expect(q.enqueue(job("late"))).rejects.toThrow(/closed/);
    await expect(q.ping()).rejects.toThrow(/closed/);
  });

  it("holds jobs until a runner starts", async () => {
    const q = createInProcessQueue();
    await q.enqueue(job("early"));
    await expect(q.drain()).rejects.toThrow(/no runner/);
    const ran: string[] = [];
    q.createRunner().start({ work: async (_d, ctx) => void ran.push(ctx.id) });
    await q.drain();
    expect(ran).toEqual(["early"]);
    await q.close();
  });
});
