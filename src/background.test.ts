/**
 * The wiring behind the requests, end to end: an event committed through the
 * runtime's store reaches the dispatcher, becomes an email job, is sent over
 * real SMTP, and the async projections catch up — on the embedded default and,
 * when CI provides them, on real Postgres and Redis.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import type { EventMetadata } from "../events/types.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../test/helpers/db.ts";
import { type SmtpCatcher, startSmtpCatcher } from "../workers/testing/smtp-catcher.ts";
import { createApp } from "./app.ts";
import { background } from "./background.ts";
import { buildRuntime, type Runtime } from "./runtime.ts";

const meta: EventMetadata = {
  actor: "system:test",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: null,
  causationId: null,
};

const cases: { name: string; env: () => Record<string, string>; db?: () => Promise<Db> }[] = [
  { name: "embedded (PGlite, in-process queue)", env: () => ({ DATA_DIR: "memory://" }) },
];
if (TEST_DATABASE_URL && TEST_REDIS_URL) {
  cases.push({
    name: "Postgres and Redis",
    env: () => ({ REDIS_URL: TEST_REDIS_URL ?? "", REDIS_PREFIX: `vigil-test-${crypto.randomUUID()}` }),
    db: () => postgresDb(),
  });
}

describe.each(cases)("background work on $name", ({ env, db }) => {
  let rt: Runtime | undefined;
  let smtp: SmtpCatcher | undefined;
  let ownDb: Db | undefined;
  afterEach(async () => {
    await rt?.close();
    await ownDb?.close();
    await smtp?.close();
  });

  it("emails the security contact about a broken chain and runs the async projections", async () => {
    smtp = await startSmtpCatcher();
    ownDb = db ? await db() : undefined;
    rt = await buildRuntime(
      { NODE_ENV: "test", SMTP_URL: smtp.url, SECURITY_EMAIL: "security@example.com", ...env() },
      { db: ownDb, skipMigrate: Boolean(ownDb), extensions: [background({ pollMs: 20 })] },
    );
    const { store, db: rtDb } = rt.deps;
    await store.append(
      "system-verification",
      "any",
      [
        {
          type: "ChainVerified",
          data: {
            streams: 3,
            events: 9,
            broken: 1,
            firstBreak: { streamId: "user-1", version: 2, reason: "hash_mismatch" },
          },
        },
      ],
      meta,
    );
    const [mail] = await smtp.waitFor(1, 10_000);
    expect(mail!.to).toEqual(["security@example.com"]);
    expect(mail!.body).toContain("user-1");
    await expect
      .poll(async () => (await rtDb.query<{ count: number }>("SELECT count FROM event_stats"))[0]?.count, {
        timeout: 10_000,
      })
      .toBe(1);

    const ready = await createApp(rt.deps).request("/ready");
    expect(ready.status).toBe(200);
    if (rt.config.redisUrl) expect(JSON.stringify(await ready.json())).toContain("redis");
  });
});
