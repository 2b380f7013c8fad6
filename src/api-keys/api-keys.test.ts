/** API keys through app.request() on PGlite: format, lifecycle, error codes, scopes and IDOR. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AccessHarness,
  accessHarness,
  setRoles,
  type TestUser,
  userWithRoles,
} from "../access/testing.ts";
import { base62, generateApiKey, isWellFormed, KEY_LENGTH } from "./key.ts";

let h: AccessHarness;
let ada: TestUser;
beforeEach(async () => {
  h = await accessHarness();
  ada = await userWithRoles(h, "ada@example.com");
});
afterEach(() => h.close());

const create = (token: string, body: unknown) =>
  h.api.call("POST", "/v1/api-keys", body, h.api.bearer(token));
const withKey = (key: string) => ({ "X-API-Key": key });

describe("the key format", () => {
  it("is mk_ + 43 base62 characters + a 6-character checksum, and the checksum catches typos", async () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^mk_[0-9A-Za-z]{49}$/);
    expect(key).toHaveLength(KEY_LENGTH);
    expect(prefix).toBe(key.slice(0, 11));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(isWellFormed(key)).toBe(true);
    // Every single-character change is refused without a lookup.
    for (let i = 3; i < key.length; i += 5) {
      const typo = key.slice(0, i) + (key[i] === "a" ? "b" : "a") + key.slice(i + 1);
      expect(isWellFormed(typo)).toBe(false);
    }
    expect(isWellFormed(key.slice(0, -1))).toBe(false);
  });

  it("encodes base62 big-endian with fixed width", () => {
    expect(base62(new Uint8Array([0]), 3)).toBe("000");
    expect(base62(new Uint8Array([0, 62]), 3)).toBe("010");
    expect(base62(new Uint8Array(32).fill(255), 43)).toHaveLength(43);
  });
});

describe("POST/GET/DELETE /v1/api-keys", () => {
  it("shows the key once, stores only its hash and prefix, lists without it, and revokes at once", async () => {
    const res = await create(ada.token, { name: "ci", scopes: ["read"] });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const key = res.body!.key as string;
    expect(res.body).toMatchObject({
      name: "ci",
      scopes: ["read"],
      prefix: key.slice(0, 11),
      lastUsedAt: null,
    });

    const events = await h.events();
    const created = events.find((e) => e.type === "ApiKeyCreated")!;
    expect(created.data).toMatchObject({ userId: ada.userId, prefix: key.slice(0, 11), expiresAt: null });
    expect(JSON.stringify(events)).not.toContain(key);
    const rows = await h.db.query("SELECT * FROM api_keys");
    expect(JSON.stringify(rows)).not.toContain(key);

    // Both header forms authenticate.
    const viaBearer = await h.api.call("GET", "/v1/api-keys", undefined, h.api.bearer(key));
    expect(viaBearer.status).toBe(200);
    expect(JSON.stringify(viaBearer.body)).not.toContain(key);
    expect(viaBearer.body!.apiKeys[0]).toMatchObject({
      id: res.body!.id,
      lastUsedAt: "2026-03-01T10:00:00.000Z",
    });
    expect((await h.api.call("GET", "/v1/api-keys", undefined, withKey(key))).status).toBe(200);

    expect(
      (await h.api.call("DELETE", `/v1/api-keys/${res.body!.id}`, undefined, h.api.bearer(ada.token))).status,
    ).toBe(204);
    const after = await h.api.call("GET", "/v1/api-keys", undefined, withKey(key));
    expect(after.status).toBe(401);
    expect(after.body!.code).toBe("api_key_revoked");
    expect((await h.events()).at(-1)).toMatchObject({
      type: "ApiKeyRevoked",
      data: { keyId: res.body!.id, reason: "revoked_by_user" },
      metadata: { actor: `user:${ada.userId}` },
    });
  });

  it("answers malformed, wrong-checksum, unknown and expired keys with distinct 401 codes", async () => {
    const res = await create(ada.token, {
      name: "short",
      scopes: ["read"],
      expiresAt: "2026-03-01T11:00:00Z",
    });
    const key = res.body!.key as string;
    const unknown = generateApiKey().key;
    const flipped = `${key.slice(0, 20)}${key[20] === "x" ? "y" : "x"}${key.slice(21)}`;
    const codes = async () =>
      Promise.all(
        ["mk_nope", flipped, unknown, key].map(
          async (k) => (await h.api.call("GET", "/v1/api-keys", undefined, withKey(k))).body!.code,
        ),
      );
    expect(await codes()).toEqual(["api_key_malformed", "api_key_malformed", "api_key_invalid", undefined]);
    // A past expiry is refused at creation.
    expect(
      (await create(ada.token, { name: "x", scopes: ["read"], expiresAt: "2020-01-01T00:00:00Z" })).status,
    ).toBe(400);
    h.clock.advance(3600);
    expect((await codes()).at(-1)).toBe("api_key_expired");
  });

  it("records last use at most once a minute per key, without an event", async () => {
    const key = (await create(ada.token, { name: "ci", scopes: ["read"] })).body!.key as string;
    const before = (await h.events()).length;
    const lastUsed = async () =>
      (await h.db.query<{ last_used_at: Date | string }>("SELECT last_used_at FROM api_key_usage"))[0]
        ?.last_used_at;
    await h.api.call("GET", "/v1/api-keys", undefined, withKey(key));
    const first = new Date((await lastUsed())!).toISOString();
    h.clock.advance(30);
    await h.api.call("GET", "/v1/api-keys", undefined, withKey(key));
    expect(new Date((await lastUsed())!).toISOString()).toBe(first);
    h.clock.advance(31);
    await h.api.call("GET", "/v1/api-keys", undefined, withKey(key));
    expect(new Date((await lastUsed())!).toISOString()).toBe("2026-03-01T10:01:01.000Z");
    expect((await h.events()).length).toBe(before);
  });
});

describe("escalation and IDOR", () => {
  it("refuses a key with more scopes than its owner holds, and a key creating a wider key", async () => {
    const wide = await create(ada.token, { name: "x", scopes: ["admin"] });
    expect(wide.status).toBe(403);
    expect(wide.body).toMatchObject({ code: "forbidden", grantableScopes: ["read", "write"] });

    const rw = (await create(ada.token, { name: "rw", scopes: ["read", "write"] })).body!.key as string;
    const viaKey = await h.api.call("POST", "/v1/api-keys", { name: "y", scopes: ["admin"] }, withKey(rw));
    expect(viaKey.status).toBe(403);
    const readOnly = (await create(ada.token, { name: "ro", scopes: ["read"] })).body!.key as string;
    // A read key cannot create keys at all (self:write), let alone wider ones.
    expect(
      (await h.api.call("POST", "/v1/api-keys", { name: "z", scopes: ["read"] }, withKey(readOnly))).status,
    ).toBe(403);
    // A write key may create a key within its own scopes.
    expect(
      (await h.api.call("POST", "/v1/api-keys", { name: "w", scopes: ["write"] }, withKey(rw))).status,
    ).toBe(201);
  });

  it("a viewer cannot create keys; a demoted owner's keys shrink at once", async () => {
    const viewer = await userWithRoles(h, "vic@example.com", ["viewer"]);
    expect((await create(viewer.token, { name: "x", scopes: ["read"] })).status).toBe(403);

    const key = (await create(ada.token, { name: "rw", scopes: ["read", "write"] })).body!.key as string;
    await setRoles(h, ada.userId, ["viewer"]);
    const res = await h.api.call("POST", "/v1/api-keys", { name: "x", scopes: ["read"] }, withKey(key));
    expect(res.status).toBe(403);
    expect((await h.api.call("GET", "/v1/api-keys", undefined, withKey(key))).status).toBe(200);
  });

  it("answers 404 for another user's key, and leaves it working", async () => {
    const bob = await userWithRoles(h, "bob@example.com");
    const bobKey = await create(bob.token, { name: "bob", scopes: ["read"] });
    const del = await h.api.call(
      "DELETE",
      `/v1/api-keys/${bobKey.body!.id}`,
      undefined,
      h.api.bearer(ada.token),
    );
    expect(del.status).toBe(404);
    expect(del.body!.code).toBe("not_found");
    const missing = await h.api.call(
      "DELETE",
      "/v1/api-keys/00000000-0000-4000-8000-000000000000",
      undefined,
      h.api.bearer(ada.token),
    );
    expect(missing.status).toBe(404);
    expect((await h.api.call("GET", "/v1/api-keys", undefined, withKey(bobKey.body!.key))).status).toBe(200);
    const list = await h.api.call("GET", "/v1/api-keys", undefined, h.api.bearer(ada.token));
    expect(list.body!.apiKeys).toEqual([]);
  });

  it("keys are refused on session-bound routes (sessions, /auth/me, two-factor)", async () => {
    const key = (await create(ada.token, { name: "rw", scopes: ["read", "write"] })).body!.key as string;
    for (const [m, p] of [
      ["GET", "/v1/sessions"],
      ["GET", "/v1/auth/me"],
      ["POST", "/v1/mfa/totp/setup"],
    ] as const) {
      const res = await h.api.call(m, p, undefined, h.api.bearer(key));
      expect(res.status).toBe(401);
      expect(res.body!.code).toBe("unauthorized");
    }
  });
});
