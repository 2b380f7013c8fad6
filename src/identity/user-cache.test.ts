import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "../../db/client.ts";
import { setRoles } from "../access/testing.ts";
import { memorySessionGuard, type SessionGuard } from "../auth/session-guard.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD, testClock } from "./testing.ts";
import { userById, userStream } from "./user.ts";
import { TTL_MS, UserCache } from "./user-cache.ts";

/** The harness's database, counting the users-row reads made through it. */
function counting(sql: Sql): Sql & { reads: number } {
  const c = {
    reads: 0,
    query: ((text: string, params?: unknown[]) => {
      if (/FROM users WHERE user_id/.test(text)) c.reads++;
      return sql.query(text, params);
    }) as Sql["query"],
  };
  return c as Sql & { reads: number };
}

const announced = async (guard: SessionGuard, userId: string) =>
  (await guard.touch(crypto.randomUUID(), new Date(), 60, userId)).userVersion;

describe("UserCache (the users row of /auth/me, proven current by the announced version)", () => {
  const clock = testClock();
  let h: IdentityHarness;
  let guard: SessionGuard;
  let userId: string;
  /** The row's version after registration. */
  let v: number;
  beforeEach(async () => {
    guard = memorySessionGuard(clock);
    h = await identityHarness({ clock, guard });
    const reg = await client(h.app).register("ada@example.com", PASSWORD);
    userId = reg.body!.id as string;
    v = (await userById(h.db, userId))!.version;
  });
  afterEach(() => h.close());

  it("announces every user-stream append before it commits, so the announced version follows the row", async () => {
    expect(await announced(guard, userId)).toBe(v);
    await setRoles(h, userId, ["user", "auditor"]);
    expect(await announced(guard, userId)).toBe(v + 1);
    expect((await userById(h.db, userId))!.version).toBe(v + 1);
  });

  it("serves the row from memory while the announced version equals it, and reads it again once a write moved it", async () => {
    const sql = counting(h.db);
    const cache = new UserCache(sql, guard, () => clock.now().getTime());
    expect((await cache.get(userId, await announced(guard, userId)))?.roles).toEqual(["user"]);
    expect((await cache.get(userId, await announced(guard, userId)))?.roles).toEqual(["user"]);
    expect(sql.reads).toBe(1);

    await setRoles(h, userId, ["user", "auditor"]);
    expect((await cache.get(userId, await announced(guard, userId)))?.roles).toEqual(["user", "auditor"]);
    expect(sql.reads).toBe(2);
  });

  it("never trusts memory without an announced version, and raises a missing one to the row's", async () => {
    const fresh = memorySessionGuard(clock);
    const sql = counting(h.db);
    const cache = new UserCache(sql, fresh, () => clock.now().getTime());
    await cache.get(userId, undefined);
    await cache.get(userId, undefined);
    expect(sql.reads).toBe(2);
    // Nothing announced in this guard (as after a Redis restart): read, then heal the key.
    await cache.get(userId, await announced(fresh, userId));
    await new Promise((r) => setTimeout(r, 0));
    expect(await announced(fresh, userId)).toBe(v);
    await cache.get(userId, v);
    expect(sql.reads).toBe(3);
  });

  it("reads the row while a write is announced but not (or never) committed", async () => {
    const sql = counting(h.db);
    const cache = new UserCache(sql, guard, () => clock.now().getTime());
    await guard.announceUserVersion(userId, v + 1);
    await cache.get(userId, v + 1);
    await cache.get(userId, v + 1);
    expect(sql.reads).toBe(2);
    // The announcement only rises: a late, lower one changes nothing.
    await guard.announceUserVersion(userId, v);
    expect(await announced(guard, userId)).toBe(v + 1);
  });

  it("bounds what a lost announcement can cost: a cached row is read again after TTL_MS", async () => {
    const sql = counting(h.db);
    const cache = new UserCache(sql, guard, () => clock.now().getTime());
    await cache.get(userId, v);
    clock.advance(TTL_MS / 1000 - 1);
    await cache.get(userId, v);
    expect(sql.reads).toBe(1);
    clock.advance(1);
    await cache.get(userId, v);
    expect(sql.reads).toBe(2);
  });

  it("a failed announcement does not fail the write; a failing before-commit hook rolls the append back", async () => {
    const broken = memorySessionGuard(clock);
    broken.announceUserVersion = () => Promise.reject(new Error("redis away"));
    const other = await identityHarness({ clock, guard: broken });
    try {
      const reg = await client(other.app).register("bob@example.com", PASSWORD);
      expect(reg.status).toBe(201);
      const id = reg.body!.id as string;
      const before = (await userById(other.db, id))!.version;
      const unhook = other.deps.store.beforeCommit("user", () => Promise.reject(new Error("refused")));
      await expect(setRoles(other, id, ["user", "auditor"])).rejects.toThrow("refused");
      unhook();
      expect((await other.events()).filter((e) => e.streamId === userStream(id)).length).toBe(before);
      expect((await userById(other.db, id))!.roles).toEqual(["user"]);
    } finally {
      await other.close();
    }
  });
});
