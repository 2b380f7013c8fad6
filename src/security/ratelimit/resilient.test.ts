/** Redis down or slow: decisions come from memory, logged once, /ready says degraded. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { peer, testDeps } from "../../http/test-app.ts";
import { createLogger } from "../../observability/logger.ts";
import { createRateLimiter } from "./index.ts";
import { memoryLimiter } from "./memory.ts";
import { resilientLimiter } from "./resilient.ts";
import type { Decision, RateLimiter } from "./types.ts";

function capture() {
  const lines: { msg: string; level: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination: stream }) };
}

const policy = { limit: 2, windowMs: 60_000 };
const ok: Decision = { allowed: true, remaining: 41, resetMs: 1, retryAfterMs: 0, limit: 42 };

function flakyPrimary(mode: { current: "down" | "hang" | "up" }): RateLimiter & { calls: number } {
  const p = {
    calls: 0,
    async consume() {
      p.calls++;
      if (mode.current === "down") throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      if (mode.current === "hang") return new Promise<Decision>(() => {});
      return ok;
    },
    async ping() {
      if (mode.current !== "up") throw new Error("down");
    },
  };
  return p;
}

describe("resilientLimiter", () => {
  it("falls back on errors, logs once, skips the primary until the retry period, then recovers", async () => {
    const { lines, logger } = capture();
    const mode = { current: "down" as "down" | "hang" | "up" };
    const primary = flakyPrimary(mode);
    let now = 0;
    const limiter = resilientLimiter(primary, memoryLimiter({ clock: () => now }), logger, {
      retryMs: 5000,
      clock: () => now,
    });
    const decisions = [];
    for (let i = 0; i < 10; i++) decisions.push(await limiter.consume("k", policy));
    // Still limiting, from memory: 2 of 10.
    expect(decisions.filter((d) => d.allowed)).toHaveLength(2);
    expect(limiter.degraded).toBe(true);
    expect(primary.calls).toBe(1);
    expect(await limiter.readiness()).toBe("degraded");
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);

    now += 5000;
    mode.current = "up";
    expect(await limiter.consume("k", policy)).toEqual(ok);
    expect(limiter.degraded).toBe(false);
    expect(await limiter.readiness()).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringContaining("rate limiter store unavailable"),
      expect.stringContaining("answers again"),
    ]);
  });

  it("does not wait for a hung store longer than the timeout", async () => {
    const { logger } = capture();
    const limiter = resilientLimiter(flakyPrimary({ current: "hang" }), memoryLimiter(), logger, {
      timeoutMs: 50,
    });
    const started = performance.now();
    const d = await limiter.consume("k", policy);
    expect(d.allowed).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
    expect(limiter.degraded).toBe(true);
  });

  it("passes programming errors through instead of hiding them in the fallback", async () => {
    const limiter = resilientLimiter(memoryLimiter(), memoryLimiter(), capture().logger);
    await expect(limiter.consume("k", { limit: 1, windowMs: 1000 }, 5)).rejects.toThrow(RangeError);
    expect(limiter.degraded).toBe(false);
  });
});

describe("createRateLimiter with Redis unreachable (127.0.0.1:1)", () => {
  it("limits from memory, never fails a request, logs once and reports degraded on /ready", async () => {
    const { lines, logger } = capture();
    const config = loadConfig({
      NODE_ENV: "test",
      REDIS_URL: "redis://127.0.0.1:1",
      RATE_LIMIT_IP_PER_MINUTE: "3",
    });
    const wiring = await createRateLimiter(config, logger, { connectTimeoutMs: 50 });
    try {
      const deps = await testDeps(
        { RATE_LIMIT_IP_PER_MINUTE: "3" },
        { rateLimiter: wiring.limiter, readiness: wiring.readiness ? [wiring.readiness] : [] },
      );
      const app = createApp(deps);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await app.request("/v1", {}, peer("203.0.113.9"))).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);

      const ready = await app.request("/ready");
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: "ready",
        checks: { database: "ok", ratelimit: "degraded" },
      });
      expect(lines.filter((l) => l.msg.includes("rate limiter store unavailable"))).toHaveLength(1);
    } finally {
      await wiring.close();
    }
  });
});
