/** Delayed jobs (`runAt`) on the in-process queue: not before their time, not waited for by drain(). */
import { describe, expect, it } from "vitest";
import { createInProcessQueue } from "./in-process.ts";

describe("delayed jobs on the in-process queue", () => {
  it("runs a job no earlier than its runAt, and drain() does not wait for jobs not yet due", async () => {
    const q = createInProcessQueue({ attempts: 1 });
    const ran: { id: string; at: number }[] = [];
    q.createRunner().start({
      work: async (_data, ctx) => {
        ran.push({ id: ctx.id, at: Date.now() });
      },
    });
    const t0 = Date.now();
    await q.enqueue({ name: "work", id: "soon", data: {}, runAt: new Date(t0 + 300) });
    await q.enqueue({ name: "work", id: "next-month", data: {}, runAt: new Date(t0 + 40 * 86_400_000) });
    await q.enqueue({ name: "work", id: "now", data: {} });
    await q.drain();
    expect(ran.map((r) => r.id)).toEqual(["now"]);
    await new Promise((r) => setTimeout(r, 600));
    expect(ran.map((r) => r.id)).toEqual(["now", "soon"]);
    expect(ran[1]!.at - t0).toBeGreaterThanOrEqual(290);
    // The same id again does nothing, delayed or not.
    await q.enqueue({ name: "work", id: "soon", data: {}, runAt: new Date(t0) });
    await q.drain();
    expect(ran).toHaveLength(2);
    expect(q.counts().waiting).toBe(1);
    await q.close();
  });
});
