import { describe, expect, it } from "vitest";
import { createCatalog } from "../events/catalog/index.ts";
import { createEventStore } from "../events/store.ts";
import { meta } from "../test/fixtures/events.ts";
import { pgliteDb } from "../test/helpers/db.ts";
import { createMemoryMailer } from "./email.ts";
import { createInProcessQueue } from "./in-process.ts";
import { coreRoutes, createQueue, startWorkers } from "./index.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };

describe("startWorkers (embedded: PGlite, in-process queue)", () => {
  it("dispatches a committed event and runs its email job, then stops cleanly", async () => {
    const db = await pgliteDb();
    const store = createEventStore({ db, catalog: createCatalog() });
    const queue = createInProcessQueue();
    const mailer = createMemoryMailer();
    const workers = startWorkers({
      db,
      store,
      queue,
      mailer,
      routes: coreRoutes({ securityEmail: "sec@example.com" }),
      logger: silent,
      pollMs: 5_000,
    });
    await store.append(
      "system-chain",
      "any",
      [
        {
          type: "ChainVerified",
          data: {
            streams: 2,
            events: 9,
            broken: 1,
            firstBreak: { streamId: "user-7", version: 2, reason: "hash mismatch" },
          },
        },
      ],
      meta,
    );
    // poke instead of the 5 s poll (a poke while the loop is mid-read is dropped, so repeat it)
    const deadline = Date.now() + 4_000;
    while (mailer.sent.length === 0 && Date.now() < deadline) {
      workers.poke();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: "sec@example.com" });
    expect(mailer.sent[0]!.text).toContain("user-7");
    await workers.stop();
    await workers.stop(); // idempotent
    await queue.close();
    await db.close();
  });

  it("createQueue picks the in-process queue without REDIS_URL and BullMQ with it", async () => {
    const local = createQueue();
    expect(local.kind).toBe("in-process");
    await local.close();
    const remote = createQueue({ redisUrl: "redis://127.0.0.1:1" });
    expect(remote.kind).toBe("bullmq");
    await remote.close();
  });
});
