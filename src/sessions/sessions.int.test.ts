/**
 * Sessions on real Postgres and Redis (CI sets TEST_DATABASE_URL and
 * TEST_REDIS_URL): two app instances sharing both, as two processes would.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { setRoles } from "../access/testing.ts";
import { redisSessionGuard } from "../auth/session-guard-redis.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD, testClock } from "../identity/testing.ts";

describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)("sessions across processes (Postgres + Redis)", () => {
  let db: Db;
  let a: IdentityHarness;
  let b: IdentityHarness;
  beforeEach(async () => {
    db = await postgresDb();
    const clock = testClock();
    const prefix = `test:${crypto.randomUUID()}:`;
    a = await identityHarness({ db, clock, guard: redisSessionGuard({ url: TEST_REDIS_URL!, prefix }) });
    b = await identityHarness({ db, clock, guard: redisSessionGuard({ url: TEST_REDIS_URL!, prefix }) });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await db.close();
  });

  it("a logout on one instance is refused at once on the other", async () => {
    const ca = client(a.app);
    const cb = client(b.app);
    await ca.register("ada@example.com", PASSWORD);
    const s = (await ca.login("ada@example.com", PASSWORD)).body!;
    expect((await cb.me(s.accessToken)).status).toBe(200);
    expect((await ca.call("POST", "/v1/auth/logout", undefined, ca.bearer(s.accessToken))).status).toBe(204);
    const me = await cb.me(s.accessToken);
    expect(me.status).toBe(401);
    expect(me.body!.code).toBe("session_revoked");
  });

  it("a users-row change committed on one instance shows at once in /auth/me on the other", async () => {
    const ca = client(a.app);
    const cb = client(b.app);
    const id = (await ca.register("ada@example.com", PASSWORD)).body!.id as string;
    const s = (await ca.login("ada@example.com", PASSWORD)).body!;
    // B now holds the row in memory (src/identity/user-cache.ts)...
    expect((await cb.me(s.accessToken)).body!.roles).toEqual(["user"]);
    expect((await cb.me(s.accessToken)).body!.roles).toEqual(["user"]);
    // ...and A's write announces its version through Redis before it commits, so B reads the row again.
    await setRoles(a, id, ["user", "auditor"]);
    expect((await cb.me(s.accessToken)).body!.roles).toEqual(["user", "auditor"]);
    await setRoles(a, id, ["user"]);
    expect((await cb.me(s.accessToken)).body!.roles).toEqual(["user"]);
  });

  it("the same refresh token raced on two instances: one rotation wins, the other is reuse and kills the family", async () => {
    const ca = client(a.app);
    const cb = client(b.app);
    await ca.register("ada@example.com", PASSWORD);
    const s = (await ca.login("ada@example.com", PASSWORD)).body!;
    const [r1, r2] = await Promise.all([ca.refresh(s.refreshToken), cb.refresh(s.refreshToken)]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).toEqual([200, 401]);
    const loser = r1.status === 401 ? r1 : r2;
    const winner = r1.status === 200 ? r1 : r2;
    expect(loser.body!.code).toBe("refresh_token_reused");
    expect((await ca.me(winner.body!.accessToken)).body!.code).toBe("session_revoked");
    expect((await cb.refresh(winner.body!.refreshToken)).status).toBe(401);
    const types = (await a.events()).map((e) => e.type);
    expect(types.slice(-3)).toEqual(["RefreshTokenRotated", "RefreshTokenReuseDetected", "SessionRevoked"]);
  });

  it("concurrent logins never leave more than 3 open sessions", async () => {
    const ca = client(a.app);
    const cb = client(b.app);
    await ca.register("ada@example.com", PASSWORD);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? ca : cb).login("ada@example.com", PASSWORD)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const open = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL",
    );
    expect(open[0]!.n).toBe(3);
  });
});
