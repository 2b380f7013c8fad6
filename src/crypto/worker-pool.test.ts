/** The hash pool's sizing, queue bound, deadline-aware queue and worker priority. */
import { availableParallelism, getPriority } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { Deadline, DeadlineExceededError, runWithDeadline } from "../../db/deadline.ts";
import { createPasswordHasher, DUMMY_PHC, defaultPoolSize, PoolBusyError, WORKER_NICE } from "./password.ts";
import { WorkerPool } from "./worker-pool.ts";

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const WORKER = new URL("./argon2-worker.mjs", import.meta.url);

describe("password hash pool", () => {
  it("runs one hash per core by default (one per core but one in the child process), and 32 waiting places per worker", async () => {
    expect(defaultPoolSize()).toBe(availableParallelism());
    expect(defaultPoolSize("threads")).toBe(availableParallelism());
    expect(defaultPoolSize("process")).toBe(Math.max(1, availableParallelism() - 1));
    for (const backend of ["native", "wasm"] as const) {
      const h = createPasswordHasher({ backend });
      expect(h.stats().size).toBe(defaultPoolSize(h.runner));
      await h.close();
    }
    const h = createPasswordHasher({ ...FAST, poolSize: 2 });
    try {
      const pending = Array.from({ length: 2 + 64 }, (_, i) => h.hash(`pw-${i}-abcdefgh`));
      expect(h.stats()).toMatchObject({ size: 2, busy: 2, queued: 64, refused: 0 });
      await expect(h.hash("one too many")).rejects.toBeInstanceOf(PoolBusyError);
      expect(h.stats().refused).toBe(1);
      expect(await Promise.all(pending)).toHaveLength(66);
    } finally {
      await h.close();
    }
  });

  it("refuses at once past maxQueued, and accepts again once the queue drains", async () => {
    const h = createPasswordHasher({ ...FAST, poolSize: 1, maxQueued: 1 });
    try {
      const running = h.hash("running-password");
      const waiting = h.hash("waiting-password");
      expect(h.stats()).toMatchObject({ busy: 1, queued: 1 });
      const refused = h.verify(DUMMY_PHC, "refused-password");
      await expect(refused).rejects.toBeInstanceOf(PoolBusyError);
      await expect(refused).rejects.toThrow(/busy \(1 tasks waiting\)/);
      expect(h.stats()).toMatchObject({ busy: 1, queued: 1, refused: 1 });
      const [a, b] = await Promise.all([running, waiting]);
      expect(await h.verify(a, "running-password")).toBe(true);
      expect(await h.verify(b, "waiting-password")).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("with maxQueued 0, takes only what the workers can start now", async () => {
    const h = createPasswordHasher({ ...FAST, poolSize: 2, maxQueued: 0 });
    try {
      const started = [h.hash("first-password"), h.hash("second-password")];
      await expect(h.hash("third-password")).rejects.toBeInstanceOf(PoolBusyError);
      await Promise.all(started);
    } finally {
      await h.close();
    }
  });

  it("drops a waiting hash when its request's deadline passes; the running one finishes", async () => {
    const h = createPasswordHasher({ poolSize: 1 }); // default cost: the first is still running
    try {
      const deadline = new Deadline();
      const [running, waiting] = runWithDeadline(deadline, () => [
        h.verify(DUMMY_PHC, "first-guess"),
        h.verify(DUMMY_PHC, "second-guess"),
      ]);
      expect(h.stats()).toMatchObject({ busy: 1, queued: 1 });
      expect(await deadline.expire()).toBe(true);
      await expect(waiting).rejects.toBeInstanceOf(DeadlineExceededError);
      expect(h.stats()).toMatchObject({ busy: 1, queued: 0 });
      expect(await running).toBe(false);
      // An expired deadline starts no work at all.
      await expect(runWithDeadline(deadline, () => h.hash("too-late-password"))).rejects.toBeInstanceOf(
        DeadlineExceededError,
      );
      expect(h.stats()).toMatchObject({ busy: 0, queued: 0 });
    } finally {
      await h.close();
    }
  });

  it("validates the queue bound", () => {
    expect(() => createPasswordHasher({ maxQueued: -1 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ maxQueued: 1.5 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ workerNice: 20 })).toThrow(RangeError);
    expect(() => new WorkerPool(WORKER, 1, { maxQueued: -1 })).toThrow(RangeError);
  });
});

// Linux schedules each thread on its own; setpriority(0) inside a worker lowers that
// thread only. Other systems may apply it to the whole process, so the worker skips it there.
describe.runIf(process.platform === "linux")("hash worker priority (Linux)", () => {
  const pools: WorkerPool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));
  const open = (nice: number) => {
    const pool = new WorkerPool(WORKER, 1, { workerData: { nice } });
    pools.push(pool);
    return pool;
  };

  it("runs hashing threads at a lower priority, leaving the event loop's thread as it was", async () => {
    const before = getPriority(0);
    expect(WORKER_NICE).toBe(10);
    expect(await open(WORKER_NICE).run<number>({ op: "priority" })).toBe(10);
    expect(await open(19).run<number>({ op: "priority" })).toBe(19);
    expect(getPriority(0)).toBe(before);
    expect(getPriority(process.pid)).toBe(before);
  });

  it("keeps normal priority when asked for none", async () => {
    expect(await open(0).run<number>({ op: "priority" })).toBe(getPriority(0));
  });
});
