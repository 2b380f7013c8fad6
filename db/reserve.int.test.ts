/**
 * A reserved session whose backend dies must fail its queries, not hang them or
 * throw outside any promise: the sequencer, the projection consumers and the
 * custody fan-out hold advisory locks on such sessions and re-reserve on failure.
 */
import { afterEach, describe, expect, it } from "vitest";
import { postgresDb, TEST_DATABASE_URL } from "../test/helpers/db.ts";
import type { Db } from "./client.ts";

describe.runIf(TEST_DATABASE_URL)("reserved sessions on real Postgres", () => {
  const dbs: Db[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
  });

  it("fails every query once the session's backend is terminated while idle, then reserves anew", async () => {
    const db = await postgresDb();
    dbs.push(db);
    const outcome = await db.reserve(async (conn) => {
      const [me] = await conn.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await conn.query("SELECT pg_advisory_lock(4242)");
      await db.query("SELECT pg_terminate_backend($1)", [me!.pid]);
      await new Promise((r) => setTimeout(r, 300));
      const first = await conn.query("SELECT 1").then(
        () => "answered",
        (err: Error) => `failed: ${err.message}`,
      );
      const second = await conn.query("SELECT 2").then(
        () => "answered",
        () => "failed",
      );
      return { first, second };
    });
    expect(outcome.first).toMatch(/^failed/);
    expect(outcome.second).toBe("failed");
    // The lock died with the session: a new reservation can take it.
    const again = await db.reserve(async (conn) => {
      const [row] = await conn.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(4242) AS ok");
      await conn.query("SELECT pg_advisory_unlock(4242)");
      return row?.ok;
    });
    expect(again).toBe(true);
  });
});
