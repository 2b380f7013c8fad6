import { describe, expect, it } from "vitest";
import { pgliteDb } from "../test/helpers/db.ts";
import {
  currentDeadline,
  Deadline,
  DeadlineExceededError,
  runWithDeadline,
  withoutDeadline,
} from "./deadline.ts";

describe("Deadline", () => {
  it("expiring with nothing committed refuses every later statement and commit", async () => {
    const d = new Deadline();
    expect(await d.expire()).toBe(true);
    expect(d.signal.aborted).toBe(true);
    expect(() => d.check()).toThrow(DeadlineExceededError);
    await expect(d.commitPoint(async () => 1)).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it("a commit in flight when the time is up decides: committed means the handler may finish", async () => {
    const d = new Deadline();
    let finish!: () => void;
    const commit = d.commitPoint(() => new Promise<void>((r) => (finish = r)));
    const verdict = d.expire();
    finish();
    await commit;
    expect(await verdict).toBe(false);
    expect(d.committed).toBe(true);
    expect(d.signal.aborted).toBe(false);
    expect(() => d.check()).not.toThrow();
  });

  it("a commit in flight that fails leaves the request timed out", async () => {
    const d = new Deadline();
    const commit = d.commitPoint(() => Promise.reject(new Error("unique violation")));
    const verdict = d.expire();
    await expect(commit).rejects.toThrow("unique violation");
    expect(await verdict).toBe(true);
    expect(d.signal.aborted).toBe(true);
  });

  it("is carried through async calls, and left behind by withoutDeadline", async () => {
    const d = new Deadline();
    await runWithDeadline(d, async () => {
      await Promise.resolve();
      expect(currentDeadline()).toBe(d);
      expect(withoutDeadline(() => currentDeadline())).toBeUndefined();
    });
    expect(currentDeadline()).toBeUndefined();
  });
});

describe("the database layer under a deadline (PGlite)", () => {
  it("a transaction whose deadline passed before COMMIT rolls back", async () => {
    const db = await pgliteDb();
    await db.query("CREATE TABLE t (x int)");
    const d = new Deadline();
    const tx = runWithDeadline(d, () =>
      db.transaction(async (sql) => {
        await sql.query("INSERT INTO t VALUES (1)");
        await d.expire();
      }),
    );
    await expect(tx).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(await db.query("SELECT * FROM t")).toEqual([]);
    await expect(runWithDeadline(d, () => db.query("SELECT 1"))).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    await db.close();
  });

  it("a transaction that committed before the deadline keeps the request answerable", async () => {
    const db = await pgliteDb();
    await db.query("CREATE TABLE t (x int)");
    const d = new Deadline();
    await runWithDeadline(d, () => db.transaction((sql) => sql.query("INSERT INTO t VALUES (1)")));
    expect(await d.expire()).toBe(false);
    // Work after the commit still runs: the handler finishes and answers for real.
    expect(await runWithDeadline(d, () => db.query<{ x: number }>("SELECT x FROM t"))).toEqual([{ x: 1 }]);
    await db.close();
  });
});
