/** Each API key has a rate limit of its own, separate from its owner's sessions. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../access/testing.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";
import { client } from "../identity/testing.ts";
import { memoryLimiter } from "../security/ratelimit/index.ts";

let h: AccessHarness;
let ada: TestUser;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  h = await accessHarness({ env: { RATE_LIMIT_API_KEY_PER_MINUTE: "3" } });
  api = client(createApp({ ...h.deps, rateLimiter: memoryLimiter() }, features));
  ada = await userWithRoles(h, "ada@example.com");
});
afterEach(() => h.close());

const newKey = async (name: string) =>
  (await api.call("POST", "/v1/api-keys", { name, scopes: ["read"] }, api.bearer(ada.token))).body!
    .key as string;

describe("per-key rate limit", () => {
  it("refuses a key past its own limit with 429 and RateLimit headers, while another key and the session go on", async () => {
    const first = await newKey("first");
    const second = await newKey("second");
    const list = (headers: Record<string, string>) => api.call("GET", "/v1/api-keys", undefined, headers);
    for (let i = 0; i < 3; i++) {
      const ok = await list({ "X-API-Key": first });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("RateLimit")).toMatch(/r=\d+/);
    }
    const refused = await list({ "X-API-Key": first });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: "rate_limited" });
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await list({ "X-API-Key": second })).status).toBe(200);
    expect((await list(api.bearer(ada.token))).status).toBe(200);
  });
});
