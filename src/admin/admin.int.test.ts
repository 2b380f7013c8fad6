/** The last-admin rule under concurrency, on real Postgres (PGlite's advisory locks exclude nothing). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../access/testing.ts";
import type { AppError } from "../http/errors.ts";
import { disableUser, revokeRole } from "./commands.ts";

describe.runIf(TEST_DATABASE_URL)("last admin on Postgres (TEST_DATABASE_URL)", () => {
  let h: AccessHarness;
  let a: TestUser;
  let b: TestUser;
  beforeEach(async () => {
    h = await accessHarness({ db: await postgresDb(), env: { ADMIN_REQUIRE_MFA: "false" } });
    a = await userWithRoles(h, "a@example.com", ["admin"]);
    b = await userWithRoles(h, "b@example.com", ["admin"]);
  });
  afterEach(async () => {
    await h.close();
    await h.db.close();
  });

  it("two admins demoting each other at once: one wins, one admin remains", async () => {
    // The commands themselves: over HTTP the loser is often refused earlier (403, no longer admin).
    const meta = (actor: string) => ({
      actor,
      ip: null,
      userAgent: null,
      requestId: null,
      correlationId: null,
      causationId: null,
    });
    const results = await Promise.allSettled([
      revokeRole(h.deps, b.userId, "admin", "coup", meta(`user:${a.userId}`)),
      disableUser(h.deps, a.userId, "counter-coup", meta(`user:${b.userId}`)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((refused.reason as AppError).code).toBe("last_admin");
    const [r] = await h.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM users WHERE status = 'active' AND roles @> '["admin"]'::jsonb`,
    );
    expect(Number(r!.n)).toBe(1);
  });
});
