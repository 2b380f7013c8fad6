/**
 * The fail-fast SessionGuard wrapper over a primary that can hang or fail:
 * bounded calls, no call at all while the breaker is open, revocations kept
 * and honoured locally until Redis takes them, and `degraded` for /ready.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.ts";
import { UnavailableError } from "../system/fail-fast.ts";
import { memorySessionGuard, type SessionGuard } from "./session-guard.ts";
import { resilientSessionGuard } from "./session-guard-resilient.ts";

const logger = createLogger({ level: "silent" });
const at = new Date("2026-03-01T10:00:00Z");

/** A memory guard that can be switched to hang (a frozen Redis) or to fail (a stopped one). */
function flaky() {
  const inner = memorySessionGuard();
  let mode: "up" | "hang" | "down" = "up";
  let calls = 0;
  const gate =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> => {
      calls++;
      if (mode === "hang") return new Promise<R>(() => {});
      if (mode === "down") return Promise.reject(new Error("ECONNREFUSED"));
      return fn(...a);
    };
  const guard: SessionGuard = {
    kind: "redis",
    revoke: gate(inner.revoke),
    isRevoked: gate(inner.isRevoked),
    touch: gate(inner.touch),
    announceUserVersion: gate(inner.announceUserVersion),
    lastSeen: gate(inner.lastSeen),
    hit: gate(inner.hit),
    hits: gate(inner.hits),
    forget: gate(inner.forget),
    ping: gate(inner.ping),
    close: inner.close,
  };
  return {
    guard,
    inner,
    set: (m: typeof mode) => {
      mode = m;
    },
    calls: () => calls,
  };
}

describe("resilient SessionGuard", () => {
  it("gives up on a hanging store within its time limit, then fails at once without calling it", async () => {
    const f = flaky();
    let t = 0;
    const g = resilientSessionGuard(f.guard, logger, { timeoutMs: 50, retryMs: 1000, clock: () => t });
    f.set("hang");
    const t0 = performance.now();
    await expect(g.touch("s1", at, 60)).rejects.toThrow(/no answer within 50 ms/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(g.degraded).toBe(true);
    const before = f.calls();
    for (let i = 0; i < 50; i++) await expect(g.touch("s1", at, 60)).rejects.toBeInstanceOf(UnavailableError);
    expect(f.calls()).toBe(before); // nothing piled up on the frozen store
    // After retryMs one call probes it; the store answers again and the breaker closes.
    f.set("up");
    t += 1000;
    await expect(g.touch("s1", at, 60)).resolves.toEqual({ revoked: false, lastSeen: null });
    expect(g.degraded).toBe(false);
    await g.close();
  });

  it("keeps a revocation the store could not take, honours it, and writes it once the store answers", async () => {
    const f = flaky();
    let t = 0;
    const g = resilientSessionGuard(f.guard, logger, { timeoutMs: 50, retryMs: 1000, clock: () => t });
    // The store saw the session active before the outage (a frozen Redis keeps that memory).
    await g.touch("victim", at, 600);
    f.set("down");
    await g.revoke("victim", 960); // does not throw: the sessions row already refuses it
    expect(g.pending).toBe(1);
    expect(await g.touch("victim", at, 600)).toEqual({ revoked: true, lastSeen: null });
    expect(await g.isRevoked("victim")).toBe(true);
    expect(await g.readiness()).toBe("degraded");

    f.set("up");
    t += 1000;
    expect(await g.readiness()).toBeUndefined();
    expect(g.pending).toBe(0);
    // Written to the store itself: any process sharing it now refuses the session.
    expect(await f.inner.isRevoked("victim")).toBe(true);
    expect((await f.inner.touch("victim", at, 600)).revoked).toBe(true);
    await g.close();
  });

  it("forgets a kept revocation once its marker would have expired", async () => {
    const f = flaky();
    let t = 0;
    const g = resilientSessionGuard(f.guard, logger, { timeoutMs: 50, retryMs: 1000, clock: () => t });
    f.set("down");
    await g.revoke("s2", 10);
    expect(await g.isRevoked("s2")).toBe(true);
    t += 10_001;
    f.set("up");
    expect(await g.isRevoked("s2")).toBe(false);
    await g.close();
  });

  it("reports `degraded` for /ready within its bound, never throwing", async () => {
    const f = flaky();
    const g = resilientSessionGuard(f.guard, logger, { timeoutMs: 50, retryMs: 1000 });
    expect(await g.readiness()).toBeUndefined();
    f.set("hang");
    const t0 = performance.now();
    expect(await g.readiness()).toBe("degraded");
    expect(performance.now() - t0).toBeLessThan(2000);
    await g.close();
  });
});
