import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirLockedError, LOCK_FILE, lockDataDir } from "./data-dir-lock.ts";

describe("the embedded database's lock file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-lock-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const lockPath = () => join(dir, LOCK_FILE);
  const writeOwner = (owner: Record<string, unknown>) =>
    writeFile(lockPath(), JSON.stringify({ host: hostname(), command: "old", since: "then", ...owner }));

  it("is taken once; a second taker is refused with a message naming the owner and the way out", async () => {
    const lock = await lockDataDir(dir, "vigil server");
    const owner = JSON.parse(await readFile(lockPath(), "utf8"));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), command: "vigil server" });
    const refused = await lockDataDir(dir, "cli admin create").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toMatch(/in use by another process \(pid \d+/);
    expect((refused as Error).message).toMatch(/stop that process first/);
    expect((refused as Error).message).toMatch(/DATABASE_URL/);
    await lock.release();
    expect(existsSync(lockPath())).toBe(false);
    await (await lockDataDir(dir)).release();
  });

  it("a lock left by a process that died (crash, kill -9) is stale and taken over", async () => {
    // A pid that existed and is gone now.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    await writeOwner({ pid: dead });
    const lock = await lockDataDir(dir, "vigil server");
    expect(JSON.parse(await readFile(lockPath(), "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it.runIf(existsSync("/proc/self/stat"))(
    "a pid reused by another process does not hold the lock",
    async () => {
      // The parent process is alive, but its start time is not the one recorded.
      await writeOwner({ pid: process.ppid, startTime: "1" });
      await (await lockDataDir(dir)).release();
    },
  );

  it("a live owner holds it, and so does one on another host (which cannot be checked)", async () => {
    await writeOwner({ pid: process.ppid });
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await writeOwner({ pid: 1, host: "another-host.example" });
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it("release never removes a lock someone else holds", async () => {
    const lock = await lockDataDir(dir);
    await writeOwner({ pid: process.ppid });
    await lock.release();
    expect(existsSync(lockPath())).toBe(true);
  });

  it("an unreadable lock file (a crash mid-write) is not trusted forever", async () => {
    await writeFile(lockPath(), "");
    await (await lockDataDir(dir)).release();
  });
});
