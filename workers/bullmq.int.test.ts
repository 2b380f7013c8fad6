import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TEST_REDIS_URL } from "../test/helpers/db.ts";
import { createBullQueue, decodeJobId, encodeJobId } from "./bullmq.ts";
import { type JobContext, type JobQueue, PermanentJobError } from "./queue.ts";

async function until<T>(fn: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("BullMQ job ids", () => {
  it("encodes ids BullMQ would refuse, reversibly", () => {
    for (const id of ["a:b", "123", "-7", "50%:x", "%23", "uuid/email.send", "%3A"]) {
      const enc = encodeJobId(id);
      expect(enc).not.toContain(":");
      expect(`${Number.parseInt(enc, 10)}`).not.toBe(enc);
      expect(decodeJobId(enc)).toBe(id);
    }
    expect(new Set(["a:b", "a%3Ab"].map(encodeJobId)).size).toBe(2);
  });
});

describe("BullMQ queue with Redis away", () => {
  it("fails enqueue and ping fast instead of hanging, and still closes", async () => {
    const q = createBullQueue({ redisUrl: "redis://127.0.0.1:1", timeoutMs: 300 });
    const t0 = Date.now();
    await expect(q.enqueue({ name: "work", id: "a", data: {} })).rejects.toThrow();
    await expect(q.ping()).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(3000);
    await q.close();
  });
});

describe.runIf(TEST_REDIS_URL)("BullMQ queue on real Redis (set TEST_REDIS_URL to run)", () => {
  const url = TEST_REDIS_URL!;
  const prefixes: string[] = [];
  const queues: JobQueue[] = [];
  const make = (o: { attempts?: number; backoffMs?: number } = {}) => {
    const prefix = `vigil-test-${crypto.randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const q = createBullQueue({ redisUrl: url, prefix, ...o });
    queues.push(q);
    return q;
  };

  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
  });

  afterAll(async () => {
    const redis = new Redis(url);
    for (const p of prefixes) {
      const keys = await redis.keys(`${p}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  it("processes a job with its data and context", async () => {
    const q = make();
    await q.ping();
    const seen: { data: unknown; ctx: JobContext }[] = [];
    q.createRunner().start({ work: async (data, ctx) => void seen.push({ data, ctx }) });
    await q.enqueue({ name: "work", id: "evt-1/work", data: { to: "a@example.com" } });
    const [one] = await until(() => (seen.length > 0 ? seen : undefined));
    expect(one).toEqual({
      data: { to: "a@example.com" },
      ctx: { id: "evt-1/work", name: "work", attempt: 1, maxAttempts: 5 },
    });
  });

  it("runs the same id once, whether enqueued while waiting or after completing", async () => {
    const q = make();
    const ran: string[] = [];
    await q.enqueue({ name: "work", id: "dup:1", data: { n: 1 } });
    await q.enqueue({ name: "work", id: "dup:1", data: { n: 2 } });
    q.createRunner().start({
      work: async (data, ctx) => void ran.push(`${ctx.id}#${(data as { n: number }).n}`),
    });
    await until(() => ran.length === 1);
    await q.enqueue({ name: "work", id: "dup:1", data: { n: 3 } });
    // A sentinel behind it: once it has run, a second dup:1 would have too.
    await q.enqueue({ name: "work", id: "sentinel", data: { n: 0 } });
    await until(() => ran.includes("sentinel#0"));
    expect(ran).toEqual(["dup:1#1", "sentinel#0"]);
  });

  it("retries a failing job with exponential backoff and keeps it in the failed set", async () => {
    const q = make({ attempts: 3, backoffMs: 100 });
    const runs: { at: number; attempt: number }[] = [];
    q.createRunner().start({
      work: async (_d, ctx) => {
        runs.push({ at: Date.now(), attempt: ctx.attempt });
        throw new Error(`smtp down (attempt ${ctx.attempt})`);
      },
    });
    await q.enqueue({ name: "work", id: "flaky", data: { x: 1 } });
    const failed = await until(async () => {
      const f = await q.failed();
      return f.length > 0 ? f : undefined;
    });
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(95);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(195);
    expect(failed[0]).toMatchObject({
      id: "flaky",
      name: "work",
      data: { x: 1 },
      attemptsMade: 3,
      error: "smtp down (attempt 3)",
    });
  });

  it("fails a job at once on a permanent error or a missing handler", async () => {
    const q = make({ attempts: 5, backoffMs: 10 });
    let runs = 0;
    q.createRunner().start({
      perm: async () => {
        runs++;
        throw new PermanentJobError("bad data");
      },
    });
    await q.enqueue({ name: "perm", id: "p", data: {} });
    await q.enqueue({ name: "unknown", id: "u", data: {} });
    const failed = await until(async () => {
      const f = await q.failed();
      return f.length === 2 ? f : undefined;
    });
    expect(runs).toBe(1);
    expect(Object.fromEntries(failed.map((f) => [f.id, f.attemptsMade]))).toEqual({ p: 1, u: 1 });
  });

  it("close waits for the job in hand", async () => {
    const q = make();
    let finished = false;
    let started = false;
    const runner = q.createRunner();
    runner.start({
      slow: async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
      },
    });
    await q.enqueue({ name: "slow", id: "s", data: {} });
    await until(() => started);
    await runner.close();
    expect(finished).toBe(true);
  });
});
