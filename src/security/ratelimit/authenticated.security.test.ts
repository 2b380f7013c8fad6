/**
 * Anonymous traffic must not starve signed-in users on the same address (NAT,
 * proxies): once an IP's anonymous budget is spent, a valid access token or
 * API key from it is still served (limited per user or key), while forged,
 * tampered, expired or unknown credentials from it still get 429.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../../access/testing.ts";
import { generateApiKey } from "../../api-keys/key.ts";
import { type App, createApp } from "../../app.ts";
import { features } from "../../features.ts";
import { peer } from "../../http/test-app.ts";
import { memoryLimiter } from "./memory.ts";

const IP = "203.0.113.50";
let h: AccessHarness;
let app: App;
let ada: TestUser;
let apiKey: string;

beforeEach(async () => {
  h = await accessHarness({
    env: { RATE_LIMIT_IP_PER_MINUTE: "3", RATE_LIMIT_IP_PER_HOUR: "1000", RATE_LIMIT_USER_PER_MINUTE: "5" },
  });
  app = createApp({ ...h.deps, rateLimiter: memoryLimiter() }, features);
  // Set up without a client address (no IP limit applies), then act from IP.
  ada = await userWithRoles(h, "ada@example.com");
  const created = await h.api.call(
    "POST",
    "/v1/api-keys",
    { name: "ci", scopes: ["read"] },
    h.api.bearer(ada.token),
  );
  apiKey = created.body!.key as string;
});
afterEach(() => h.close());

const from = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  app.request(
    path,
    { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } },
    peer(IP),
  );
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

async function exhaustIp(): Promise<void> {
  for (let i = 0; i < 3; i++) await from("/v1/auth/me");
  const refused = await from("/v1/auth/me");
  expect(refused.status).toBe(429);
  expect(await refused.json()).toMatchObject({ code: "rate_limited", violatedPolicies: ["ip-minute"] });
}

/** The same token with one signature character changed. */
function tampered(token: string): string {
  const last = token.at(-2) === "A" ? "B" : "A";
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

describe("authenticated requests and the anonymous per-IP bucket", () => {
  it("serves a signed-in user and an API key from an address whose anonymous budget is spent", async () => {
    await exhaustIp();
    const me = await from("/v1/auth/me", bearer(ada.token));
    expect(me.status).toBe(200);
    // Limited per user, not per IP: the user's policy is what its headers show.
    expect(me.headers.get("RateLimit-Policy")).toContain('"user"');
    expect((await from("/v1/api-keys", { "X-API-Key": apiKey })).status).toBe(200);
    expect((await from("/v1/api-keys", bearer(apiKey))).status).toBe(200);
    // The address itself is still refused for anonymous requests.
    expect((await from("/v1/auth/me")).status).toBe(429);
  });

  it("still refuses forged, tampered, expired and unknown credentials from that address with 429", async () => {
    await exhaustIp();
    const unknownKey = generateApiKey().key;
    for (const headers of [
      bearer("forged"),
      bearer("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"),
      bearer(tampered(ada.token)),
      bearer(unknownKey),
      { "X-API-Key": unknownKey },
      { "X-API-Key": "mk_not-a-key" },
      { Authorization: "Basic YWRhOnB3" },
    ]) {
      const res = await from("/v1/auth/me", headers);
      expect(res.status, JSON.stringify(headers)).toBe(429);
    }
    h.clock.advance(3600); // the access token has expired
    expect((await from("/v1/auth/me", bearer(ada.token))).status).toBe(429);
  });

  it("holds a verified principal to its own limit, also on public routes", async () => {
    await exhaustIp();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await from("/v1/auth/me", bearer(ada.token))).status);
    // GCRA allows the full burst of 5, then refuses.
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.at(-1)).toBe(429);
    const forgot = await from("/v1/auth/password/forgot", bearer(ada.token), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "someone@example.com" }),
    });
    expect(forgot.status).toBe(429);
    expect(await forgot.json()).toMatchObject({ violatedPolicies: ["user"] });
  });

  it("lets a revoked session's token reach authentication, which refuses it (401, not served)", async () => {
    expect((await h.api.call("POST", "/v1/auth/logout", undefined, h.api.bearer(ada.token))).status).toBe(
      204,
    );
    await exhaustIp();
    const res = await from("/v1/auth/me", bearer(ada.token));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "session_revoked" });
  });
});

describe("one limiter charge per request for verified credentials", () => {
  const forgot = (headers: Record<string, string>) =>
    from("/v1/auth/password/forgot", headers, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "someone@example.com" }),
    });

  it("charges an authenticated route's request exactly one unit of the user's bucket", async () => {
    const first = await from("/v1/auth/me", bearer(ada.token));
    expect(first.status).toBe(200);
    // One list member for the user's policy, not the IP's, and one unit used of 5.
    expect(first.headers.get("RateLimit-Policy")).toBe('"user";q=5;w=60');
    expect(first.headers.get("RateLimit")).toMatch(/^"user";r=4;t=\d+$/);
    const statuses = [first.status];
    for (let i = 0; i < 5; i++) statuses.push((await from("/v1/auth/me", bearer(ada.token))).status);
    // Charged twice per request, the third would already be refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // The IP's anonymous budget (3) was not touched.
    for (let i = 0; i < 3; i++) expect((await from("/v1/auth/me")).status).toBe(401);
  });

  it("charges a public route reached with a verified token to the user", async () => {
    const res = await forgot(bearer(ada.token));
    expect(res.status).toBe(202);
    expect(res.headers.get("RateLimit")).toMatch(/"user";r=4;t=\d+/);
    for (let i = 0; i < 4; i++) expect((await from("/v1/auth/me", bearer(ada.token))).status).toBe(200);
    expect((await from("/v1/auth/me", bearer(ada.token))).status).toBe(429);
  });

  it("refuses a spent user bucket before the route runs", async () => {
    for (let i = 0; i < 5; i++) expect((await from("/v1/auth/me", bearer(ada.token))).status).toBe(200);
    const logout = await from("/v1/auth/logout", bearer(ada.token), { method: "POST" });
    expect(logout.status).toBe(429);
    expect(await logout.json()).toMatchObject({ code: "rate_limited", violatedPolicies: ["user"] });
    expect(logout.headers.get("Retry-After")).toMatch(/^\d+$/);
    // Logout never ran: the session still works (checked through an app without limits).
    expect((await h.api.call("GET", "/v1/auth/me", undefined, h.api.bearer(ada.token))).status).toBe(200);
  });

  it("charges an API key once per request on a key route", async () => {
    const res = await from("/v1/api-keys", { "X-API-Key": apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toMatch(/^"api-key";q=\d+;w=60$/);
    expect(res.headers.get("RateLimit")).toMatch(/^"api-key";r=\d+;t=\d+$/);
    const q = Number(/q=(\d+)/.exec(res.headers.get("RateLimit-Policy")!)![1]);
    expect(res.headers.get("RateLimit")).toContain(`r=${q - 1};`);
  });

  it("still charges the IP when a verified token's session turns out revoked (401)", async () => {
    expect((await h.api.call("POST", "/v1/auth/logout", undefined, h.api.bearer(ada.token))).status).toBe(
      204,
    );
    for (let i = 0; i < 3; i++) expect((await from("/v1/auth/me", bearer(ada.token))).status).toBe(401);
    const anonymous = await from("/v1/auth/me");
    expect(anonymous.status).toBe(429);
    expect(await anonymous.json()).toMatchObject({ violatedPolicies: ["ip-minute"] });
  });
});
