/**
 * The whole runtime with its background workers, for end-to-end tests: on the
 * embedded default always, and on Postgres with BullMQ on Redis when CI sets
 * TEST_DATABASE_URL and TEST_REDIS_URL. Mail goes over real SMTP to an
 * in-process catcher.
 */
import type { Db } from "../../db/client.ts";
import { background } from "../../src/background.ts";
import { buildRuntime, type Runtime } from "../../src/runtime.ts";
import { type SmtpCatcher, startSmtpCatcher } from "../../workers/testing/smtp-catcher.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "./db.ts";

export interface RuntimeCase {
  name: string;
  env: () => Record<string, string>;
  db?: () => Promise<Db>;
}

export function runtimeCases(): RuntimeCase[] {
  const cases: RuntimeCase[] = [
    { name: "embedded (PGlite, in-process queue)", env: () => ({ DATA_DIR: "memory://" }) },
  ];
  if (TEST_DATABASE_URL && TEST_REDIS_URL) {
    cases.push({
      name: "Postgres and Redis",
      env: () => ({ REDIS_URL: TEST_REDIS_URL ?? "", REDIS_PREFIX: `vigil-test-${crypto.randomUUID()}` }),
      db: () => postgresDb(),
    });
  }
  return cases;
}

export interface LiveRuntime {
  rt: Runtime;
  smtp: SmtpCatcher;
  close(): Promise<void>;
}

/** Starts the SMTP catcher and the runtime (NODE_ENV=test, SMTP_URL set) with background work polling fast. */
export async function startLiveRuntime(
  c: RuntimeCase,
  env: Record<string, string> = {},
): Promise<LiveRuntime> {
  const smtp = await startSmtpCatcher();
  const db = c.db ? await c.db() : undefined;
  const rt = await buildRuntime(
    { NODE_ENV: "test", SMTP_URL: smtp.url, ...env, ...c.env() },
    { db, skipMigrate: Boolean(db), extensions: [background({ pollMs: 20 })] },
  );
  return {
    rt,
    smtp,
    async close() {
      await rt.close();
      await db?.close();
      await smtp.close();
    },
  };
}
