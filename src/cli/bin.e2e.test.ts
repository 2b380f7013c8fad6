/**
 * The `vigil` bin as a user runs it: a child process whose stdout is a pipe.
 * stdout must carry exactly the command's output (no npm banner, whole JSON
 * past the pipe's 64 KiB buffer), and a read-only command must not migrate.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/vigil.mjs");

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

describe("bin/vigil.mjs", () => {
  let dataDir: string;
  const vigil = (...args: string[]) =>
    new Promise<Exit>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          cwd: ROOT,
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            ...process.env,
            NODE_ENV: "development",
            DATA_DIR: dataDir,
            DATABASE_URL: "",
            LOG_LEVEL: "info",
          },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vigil-bin-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the whole catalogue as JSON on stdout and nothing else", async () => {
    const r = await vigil("catalog", "--json");
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(65_536);
    const events = JSON.parse(r.stdout) as { type: string }[];
    expect(events.map((e) => e.type)).toContain("UserRegistered");
    // catalog opened no database: nothing was created under DATA_DIR.
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("answers help on stdout with exit 0, and an unknown command on stderr with exit 2", async () => {
    const help = await vigil("help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: vigil <command>/);
    const unknown = await vigil("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/unknown command: "frobnicate"/);
  });

  it("a read-only command on a database never migrated refuses and leaves it unmigrated", async () => {
    const r = await vigil("governance", "verify", "0190a6b4-0000-7000-8000-000000000000");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/run `vigil migrate` first/);
    expect(r.stdout).toBe("");
    const migrate = await vigil("migrate");
    expect(migrate.code).toBe(0);
    // Every migration was still pending: the reader applied none of them.
    expect(migrate.stdout).toMatch(/^applied: /);
  }, 240_000);
});
