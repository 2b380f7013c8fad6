/** Configuration of the policies, and the runtime wiring. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import { buildRuntime } from "../../runtime.ts";
import { namedPolicies } from "./policies.ts";

describe("rate-limit policies", () => {
  it("default to DESIGN.md's table", () => {
    const p = namedPolicies(loadConfig({ NODE_ENV: "test" }).rateLimit);
    const perMin = 60_000;
    const perHour = 3_600_000;
    expect(p).toEqual({
      ipMinute: { name: "ip-minute", limit: 60, windowMs: perMin },
      ipHour: { name: "ip-hour", limit: 1000, windowMs: perHour },
      login: { name: "login", limit: 5, windowMs: perMin },
      register: { name: "register", limit: 10, windowMs: perHour },
      email: { name: "email", limit: 3, windowMs: perHour },
      user: { name: "user", limit: 100, windowMs: perMin },
      apiKey: { name: "api-key", limit: 600, windowMs: perMin },
      metrics: { name: "metrics", limit: 60, windowMs: perMin },
    });
  });

  it("are overridable from the environment, and validated", () => {
    const c = loadConfig({
      NODE_ENV: "test",
      RATE_LIMIT_LOGIN_PER_MINUTE: "10",
      RATE_LIMITS_ENABLED: "false",
    });
    expect(c.rateLimit.enabled).toBe(false);
    expect(c.rateLimit.policies.login.limit).toBe(10);
    expect(() => loadConfig({ NODE_ENV: "test", RATE_LIMIT_IP_PER_MINUTE: "0" })).toThrow(
      /RATE_LIMIT_IP_PER_MINUTE/,
    );
  });

  it("are wired by buildRuntime (memory without Redis) unless switched off", async () => {
    const on = await buildRuntime({ NODE_ENV: "test", DATA_DIR: "memory://" });
    try {
      expect((await on.deps.rateLimiter?.consume("t", { limit: 1, windowMs: 1000 }))?.allowed).toBe(true);
      expect(on.deps.readiness.map((r) => r.name)).not.toContain("ratelimit");
    } finally {
      await on.close();
    }
    const off = await buildRuntime({ NODE_ENV: "test", DATA_DIR: "memory://", RATE_LIMITS_ENABLED: "false" });
    try {
      expect(off.deps.rateLimiter).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
