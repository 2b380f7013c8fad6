/** The middleware through the whole app: headers, 429 problem+json, evidence, subjects. */
import type { Context } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import type { EventStore } from "../../../events/store.ts";
import { START } from "../../../events/types.ts";
import { type AppDeps, createApp, type Feature } from "../../app.ts";
import { sha256Hex } from "../../crypto/random.ts";
import type { AppEnv } from "../../http/env.ts";
import { ipLimitSubject } from "../../http/ip.ts";
import { createRouter } from "../../http/router.ts";
import { peer, testDeps } from "../../http/test-app.ts";
import { leasingLimiter } from "./lease.ts";
import { memoryLimiter } from "./memory.ts";
import { evidenceFor, limitApiKey, limitAuthenticated, limitLogin, limitRegister } from "./policies.ts";

let now = 1_767_225_600_000;
const clock = () => now;
afterEach(() => {
  now += 10 * 3_600_000;
});

const fakeAuth = async (c: Context<AppEnv>, next: () => Promise<void>) => {
  const h = c.req.header("Authorization");
  if (h !== "Bearer good") return c.json({ code: "unauthorized" }, 401);
  c.set("auth", { userId: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a", sessionId: "s", roles: ["user"] });
  await next();
};

const routes: Feature = (app, deps) => {
  const r = createRouter();
  r.get("/open", (c) => c.json({ ok: true }));
  r.post("/login", limitLogin(deps), (c) => c.json({ ok: true }));
  r.post("/register", limitRegister(deps), (c) => c.json({ ok: true }));
  r.get("/me", fakeAuth, limitAuthenticated(deps), (c) => c.json({ ok: true }));
  r.get(
    "/keyed",
    limitApiKey(deps, () => ({ keyId: "k1", limitPerMinute: 2 })),
    (c) => c.json({ ok: true }),
  );
  r.get("/boom", () => {
    throw new Error("handler failed");
  });
  app.route("/v1/_rl", r);
};

async function setup(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}) {
  const deps = await testDeps(
    { RATE_LIMIT_IP_PER_MINUTE: "5", RATE_LIMIT_IP_PER_HOUR: "8", ...env },
    { rateLimiter: memoryLimiter({ clock }), ...overrides },
  );
  return { deps, app: createApp(deps, [routes]) };
}

const login = (email: string) => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ email, password: "x" }),
});

async function rateEvents(store: EventStore) {
  return (await store.readAll(START)).filter((e) => e.type === "RateLimitExceeded");
}

describe("rateLimit middleware", () => {
  it("under a large limit serves units held from a lease, exactly one per request", async () => {
    const store = memoryLimiter({ clock });
    let calls = 0;
    const counted = {
      ...store,
      consumeUpTo: (items: Parameters<NonNullable<typeof store.consumeUpTo>>[0], want: number) => {
        calls++;
        return store.consumeUpTo!(items, want);
      },
    };
    const { app } = await setup(
      { RATE_LIMIT_IP_PER_MINUTE: "600000", RATE_LIMIT_IP_PER_HOUR: "6000000" },
      { rateLimiter: leasingLimiter(counted, { clock }) },
    );
    let last = "";
    for (let i = 0; i < 40; i++) {
      const res = await app.request("/v1/_rl/open", {}, peer("198.51.100.7"));
      expect(res.status).toBe(200);
      last = res.headers.get("RateLimit") ?? "";
      await new Promise((r) => setImmediate(r));
    }
    // Most requests asked no store at all...
    expect(calls).toBeLessThan(20);
    // ...and the clock stood still, so what remains (units held here counted) is the limit less one per request.
    expect(last).toMatch(/^"ip-minute";r=599960;/);
  });

  it("puts RateLimit-Policy and RateLimit (draft-11 syntax) on allowed responses", async () => {
    const { app } = await setup();
    const res = await app.request("/v1/_rl/open", {}, peer("198.51.100.7"));
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"ip-minute";q=5;w=60, "ip-hour";q=8;w=3600');
    expect(res.headers.get("RateLimit")).toBe('"ip-minute";r=4;t=12, "ip-hour";r=7;t=450');
  });

  it("refuses with 429 problem+json, Retry-After in whole seconds and the headers", async () => {
    const { app } = await setup();
    for (let i = 0; i < 5; i++) await app.request("/v1/_rl/open", {}, peer("198.51.100.7"));
    now += 500;
    const res = await app.request("/v1/_rl/open", {}, peer("198.51.100.7"));
    expect(res.status).toBe(429);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(res.headers.get("Retry-After")).toBe("12"); // 11.5 s rounded up
    expect(res.headers.get("RateLimit-Policy")).toContain('"ip-minute";q=5;w=60');
    expect(res.headers.get("RateLimit")).toMatch(/^"ip-minute";r=0;t=\d+, "ip-hour";r=3;t=\d+$/);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const body = await res.json();
    expect(body).toMatchObject({
      type: "urn:vigil:problem:rate_limited",
      status: 429,
      code: "rate_limited",
      retryAfter: 12,
      violatedPolicies: ["ip-minute"],
    });
    expect(body.requestId).toBeTruthy();
    // Another client is not affected; /health and /ready are never limited.
    expect((await app.request("/v1/_rl/open", {}, peer("198.51.100.8"))).status).toBe(200);
    expect((await app.request("/health", {}, peer("198.51.100.7"))).headers.get("RateLimit")).toBeNull();
  });

  it("carries the headers on error responses of a limited route too", async () => {
    const { app } = await setup();
    const res = await app.request("/v1/_rl/boom", {}, peer("198.51.100.7"));
    expect(res.status).toBe(500);
    expect(res.headers.get("RateLimit")).toContain('"ip-minute";r=4');
  });

  it("applies the hour policy as well as the minute one", async () => {
    const { app } = await setup();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await app.request("/v1/_rl/open", {}, peer("198.51.100.7"))).status);
      now += 20_000; // 3/min: the minute policy never bites
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it("records RateLimitExceeded once per key and window although 20 requests were refused", async () => {
    const { app, deps } = await setup({ RATE_LIMIT_IP_PER_HOUR: "1000" });
    for (let i = 0; i < 25; i++)
      await app.request("/v1/_rl/open", { headers: { "User-Agent": "flood/1" } }, peer("192.0.2.1"));
    await evidenceFor(deps).drain();
    const events = await rateEvents(deps.store);
    expect(events).toHaveLength(1);
    const [e] = events;
    const keyHash = sha256Hex("ip:192.0.2.1");
    expect(e!.streamId).toBe(`ratelimit-ip-minute-${keyHash[0]}`);
    expect(e!.data).toEqual({ policy: "ip-minute", keyHash, limit: 5, windowMs: 60_000 });
    expect(e!.metadata).toMatchObject({ actor: "anonymous", ip: "192.0.2.1", userAgent: "flood/1" });

    now += 60_000; // next window: the same flood is recorded once more
    for (let i = 0; i < 10; i++) await app.request("/v1/_rl/open", {}, peer("192.0.2.1"));
    await evidenceFor(deps).drain();
    expect(await rateEvents(deps.store)).toHaveLength(2);
  });

  it("still answers 429 (at once) when recording the evidence fails or hangs", async () => {
    for (const append of [() => Promise.reject(new Error("db down")), () => new Promise<never>(() => {})]) {
      const base = await testDeps();
      const store = { ...base.store, append } as EventStore;
      const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "1" }, { store });
      await app.request("/v1/_rl/open", {}, peer("192.0.2.2"));
      const res = await app.request("/v1/_rl/open", {}, peer("192.0.2.2"));
      expect(res.status).toBe(429);
    }
  });

  it("groups IPv6 clients by /64", async () => {
    expect(ipLimitSubject("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(ipLimitSubject("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(ipLimitSubject("nope")).toBeUndefined();
    const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "3" });
    const a = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:1234:5678:9abc:def0"];
    for (const ip of a) expect((await app.request("/v1/_rl/open", {}, peer(ip))).status).toBe(200);
    expect((await app.request("/v1/_rl/open", {}, peer("2001:db8:1:2::77"))).status).toBe(429);
    expect((await app.request("/v1/_rl/open", {}, peer("2001:db8:1:3::1"))).status).toBe(200);
  });

  it("limits login per (account, IP), hashing the account", async () => {
    const { app, deps } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "100" });
    const ip = peer("198.51.100.20");
    for (let i = 0; i < 5; i++)
      expect((await app.request("/v1/_rl/login", login("Ann@Example.com"), ip)).status).toBe(200);
    const refused = await app.request("/v1/_rl/login", login(" ann@example.com "), ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("RateLimit")).toContain('"login";r=0');
    // Another account from the same IP, or the same account from elsewhere: own budgets.
    expect((await app.request("/v1/_rl/login", login("bob@example.com"), ip)).status).toBe(200);
    expect((await app.request("/v1/_rl/login", login("ann@example.com"), peer("198.51.100.21"))).status).toBe(
      200,
    );
    await evidenceFor(deps).drain();
    const [e] = await rateEvents(deps.store);
    expect(e!.data).toMatchObject({
      policy: "login",
      keyHash: sha256Hex("acct:ann@example.com|ip:198.51.100.20"),
    });
    expect(JSON.stringify(e)).not.toContain("ann@");
  });

  it("limits register per IP (10/h by default)", async () => {
    const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "100", RATE_LIMIT_IP_PER_HOUR: "100" });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await app.request("/v1/_rl/register", login(`u${i}@x.io`), peer("192.0.2.3"))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(429);
  });

  it("limits authenticated users per user, and does not spend the IP budget on them", async () => {
    const { app } = await setup({ RATE_LIMIT_USER_PER_MINUTE: "7", RATE_LIMIT_IP_PER_MINUTE: "2" });
    const auth = { headers: { Authorization: "Bearer good" } };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await app.request("/v1/_rl/me", auth, peer("192.0.2.4"))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
    const res = await app.request("/v1/_rl/open", {}, peer("192.0.2.4"));
    expect(res.status).toBe(200);
  });

  it("charges failed authentication to the IP, so bogus tokens cannot bypass the IP limit", async () => {
    const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "3" });
    const bogus = { headers: { Authorization: "Bearer forged" } };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await app.request("/v1/_rl/me", bogus, peer("192.0.2.5"))).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it("gives each API key its own limit", async () => {
    const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "100" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await app.request("/v1/_rl/keyed", {}, peer("192.0.2.6"))).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("lets requests through when the limiter fails, and limits nothing without a limiter or client IP", async () => {
    const broken = { consume: () => Promise.reject(new Error("boom")) };
    const { app } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "1" }, { rateLimiter: broken });
    for (let i = 0; i < 3; i++)
      expect((await app.request("/v1/_rl/open", {}, peer("192.0.2.7"))).status).toBe(200);
    const off = await setup({ RATE_LIMIT_IP_PER_MINUTE: "1" }, { rateLimiter: undefined });
    for (let i = 0; i < 3; i++) {
      const res = await off.app.request("/v1/_rl/open", {}, peer("192.0.2.7"));
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit")).toBeNull();
    }
    const { app: noIp } = await setup({ RATE_LIMIT_IP_PER_MINUTE: "1" });
    for (let i = 0; i < 3; i++) expect((await noIp.request("/v1/_rl/open")).status).toBe(200);
  });
});
