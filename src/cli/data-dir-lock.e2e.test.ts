/**
 * Two processes on one embedded database, for real: the server runs on a temp
 * DATA_DIR, then the CLI tries to write to it. The CLI must refuse at once,
 * say why, exit non-zero and write nothing; commands that need no database
 * still work; after the server stops, everything it wrote is there.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../db/data-dir-lock.ts";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../runtime.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TSX = join(ROOT, "node_modules/.bin/tsx");

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("the embedded database is locked by the server process", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess;
  let base: string;

  const cli = (...args: string[]) =>
    new Promise<Exit>((resolve) => {
      execFile(
        TSX,
        [join(ROOT, "src/cli/main.ts"), ...args],
        { env, cwd: ROOT, timeout: 120_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vigil-lock-e2e-"));
    env = {
      ...process.env,
      NODE_ENV: "development",
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      DATABASE_URL: "",
      REDIS_URL: "",
      SMTP_URL: "",
    };
    server = spawn(TSX, [join(ROOT, "src/entry/node.ts")], {
      env,
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    base = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout!.on("data", (chunk: Uint8Array) => {
        out += new TextDecoder().decode(chunk);
        const url = /Vigil listening on (http:\/\/[0-9.]+:\d+)/.exec(out)?.[1];
        if (url) resolve(url);
      });
      server.once("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
  }, 240_000);

  afterAll(async () => {
    if (server.exitCode === null) server.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses CLI writes while the server runs, and loses nothing", async () => {
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const reg = await fetch(`${base}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "plum harbour velvet 42" }),
    });
    expect(reg.status).toBe(201);

    const started = performance.now();
    const create = await cli("admin", "create", "--email", "root@example.com", "--force");
    expect(create.code).not.toBe(0);
    expect(create.stderr).toMatch(/in use by another process/);
    expect(create.stderr).toMatch(/stop that process first/);
    expect(create.stdout).not.toMatch(/https?:\/\//); // no set-password link
    const verify = await cli("verify");
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toMatch(/in use by another process/);
    // Refused at once: no waiting on the database (generous for a loaded machine).
    expect(performance.now() - started).toBeLessThan(60_000);

    // Commands that need no database do not take it, so they work meanwhile.
    const catalog = await cli("catalog", "--json");
    expect(catalog.code).toBe(0);
    expect(JSON.parse(catalog.stdout).some((e: { type: string }) => e.type === "UserRegistered")).toBe(true);
    expect((await cli("outbox", "--limit", "1")).code).toBe(0);

    // The server still answers, and still holds its lock.
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
    expect(server.exitCode).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // Reopened: the server's events are there; the refused CLI wrote nothing.
    const db = await openDatabase(loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir }));
    try {
      const rows = await db.query<{ type: string; actor: string }>(
        "SELECT type, metadata->>'actor' AS actor FROM events ORDER BY id",
      );
      expect(rows.map((r) => r.type)).toContain("UserRegistered");
      expect(rows.filter((r) => r.actor === "system:cli")).toEqual([]);
      expect(await db.query("SELECT email FROM users WHERE email = 'root@example.com'")).toEqual([]);
    } finally {
      await db.close();
    }
  }, 300_000);
});
