/**
 * The worker process for real: spawned with its own throwaway database, Redis
 * under a random key prefix, and an SMTP catcher; an event in, an email out,
 * then SIGTERM and a clean exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDb, type Db } from "../../db/client.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore } from "../../events/store.ts";
import { meta } from "../../test/fixtures/events.ts";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { type SmtpCatcher, startSmtpCatcher } from "../../workers/testing/smtp-catcher.ts";

const ENTRY = new URL("./worker.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnWorker(env: Record<string, string | undefined>): Spawned {
  // `node --import tsx` rather than `npx tsx`: the signal must reach the worker itself.
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (c: Uint8Array) => {
    out += new TextDecoder().decode(c);
  });
  child.stderr?.on("data", (c: Uint8Array) => {
    out += new TextDecoder().decode(c);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("worker entry without DATABASE_URL", () => {
  it("explains that jobs run inside the server and exits 1", async () => {
    const w = spawnWorker({ DATABASE_URL: "" });
    expect(await w.exited).toBe(1);
    expect(w.output()).toMatch(/needs DATABASE_URL/);
    expect(w.output()).toMatch(/npm start/);
  });
});

describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(
  "worker process on Postgres + Redis (set TEST_DATABASE_URL and TEST_REDIS_URL to run)",
  () => {
    const dbName = `vigil_worker_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    let admin: Db;
    let db: Db;
    let dbUrl: string;
    let catcher: SmtpCatcher;
    const prefix = `vigil-test-${crypto.randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      admin = createPostgresDb({ url: TEST_DATABASE_URL!, max: 1 });
      await admin.query(`CREATE DATABASE ${dbName}`);
      const u = new URL(TEST_DATABASE_URL!);
      u.pathname = `/${dbName}`;
      dbUrl = u.toString();
      db = createPostgresDb({ url: dbUrl, max: 2 });
      catcher = await startSmtpCatcher();
    });

    afterAll(async () => {
      await db?.close();
      await catcher?.close();
      await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin?.close();
      const redis = new Redis(TEST_REDIS_URL!);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it("emails the security contact about a broken chain, then stops on SIGTERM with exit 0", async () => {
      const w = spawnWorker({
        DATABASE_URL: dbUrl,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: prefix,
        SMTP_URL: catcher.url,
        MAIL_FROM: "Vigil <vigil@example.com>",
        SECURITY_EMAIL: "security@example.com",
      });
      try {
        await until(() => w.output().includes("workers started"), 30_000, w.output);

        const store = createEventStore({ db, catalog: createCatalog() });
        await store.append(
          "system-chain",
          "any",
          [
            {
              type: "ChainVerified",
              data: {
                streams: 4,
                events: 20,
                broken: 1,
                firstBreak: { streamId: "user-99", version: 5, reason: "hash mismatch" },
              },
            },
          ],
          meta,
        );
        const [mail] = await catcher.waitFor(1, 15_000);
        expect(mail!.to).toEqual(["security@example.com"]);
        expect(mail!.headers.subject).toMatch(/hash chain broken in 1 stream$/);
        expect(mail!.body).toContain("user-99");

        const t0 = Date.now();
        w.child.kill("SIGTERM");
        expect(await w.exited).toBe(0);
        expect(Date.now() - t0).toBeLessThan(5_000);
        expect(w.output()).toContain("workers stopped");
        expect(catcher.messages).toHaveLength(1);
      } finally {
        if (w.child.exitCode === null) w.child.kill("SIGKILL");
      }
    }, 60_000);
  },
);
