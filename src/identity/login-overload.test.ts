/**
 * A login flood beyond what the hash pool may queue (PASSWORD_HASH_WORKERS,
 * PASSWORD_HASH_QUEUE): the logins past it are refused at once with 503 and
 * Retry-After, nothing recorded, and the pool serves again once it drains.
 */
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ARGON2 } from "../crypto/password.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "./testing.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  // Production cost, so the first verification is still running when the others arrive.
  h = await identityHarness({
    env: { PASSWORD_HASH_WORKERS: "1", PASSWORD_HASH_QUEUE: "0" },
    passwordOptions: { ...DEFAULT_ARGON2 },
  });
  api = client(h.app);
});
afterEach(() => h.close());

const count = async (type: string) => (await h.events()).filter((e) => e.type === type).length;

describe("POST /v1/auth/login with the hash pool full", () => {
  it("answers 503 service_unavailable with Retry-After to the logins it cannot queue", async () => {
    expect((await api.register("ada@example.com", PASSWORD)).status).toBe(201);
    expect(h.deps.auth.passwords.stats()).toMatchObject({ size: 1, busy: 0, queued: 0 });

    const results = await Promise.all([1, 2, 3].map(() => api.login("ada@example.com", PASSWORD)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 503, 503]);
    for (const refused of results.filter((r) => r.status === 503)) {
      expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get("retry-after")).toBe("2");
      expect(refused.body).toMatchObject({ code: "service_unavailable", status: 503 });
    }
    // Only the login that was checked is on record; the refused ones changed nothing.
    expect(await count("LoginSucceeded")).toBe(1);
    expect(await count("LoginFailed")).toBe(0);
    expect(h.deps.auth.passwords.stats().refused).toBe(2);

    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(200);
  }, 180_000); // four hashes at production cost, on a shared machine

  it("refuses unknown emails the same way, so a full pool tells nothing about accounts", async () => {
    const results = await Promise.all(
      ["nobody@example.com", "nobody@example.com", "nobody@example.com"].map((e) => api.login(e, PASSWORD)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([401, 503, 503]);
    expect(await count("LoginFailed")).toBe(1);
  }, 180_000);
});

/** The pid of this process's hashing child (src/crypto/argon2-process.mjs). */
function hashChildPid(): number {
  const out = execFileSync("pgrep", ["-P", String(process.pid), "-f", "argon2-process"], {
    encoding: "utf8",
  });
  return Number(out.trim().split("\n")[0]);
}

describe("POST /v1/auth/login when the hashing process dies under it", () => {
  it("answers 503 service_unavailable with Retry-After, and the next login is served by a new one", async () => {
    expect(h.deps.auth.passwords.runner).toBe("process");
    expect((await api.register("ada@example.com", PASSWORD)).status).toBe(201);

    // Found before the login: pgrep takes long enough on a slow machine for the hash to finish first.
    const child = hashChildPid();
    const pending = api.login("ada@example.com", PASSWORD);
    const deadline = Date.now() + 10_000;
    while (h.deps.auth.passwords.stats().busy === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(h.deps.auth.passwords.stats().busy).toBe(1);
    process.kill(child, "SIGKILL");

    const lost = await pending;
    expect(lost.status).toBe(503);
    expect(lost.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(lost.headers.get("retry-after")).toBe("2");
    expect(lost.body).toMatchObject({ code: "service_unavailable", status: 503 });
    expect(await count("LoginSucceeded")).toBe(0);

    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(200);
  }, 180_000);
});
