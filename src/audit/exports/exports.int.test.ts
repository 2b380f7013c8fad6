/**
 * 100,000 events on real Postgres: appended in batches, sequenced into the
 * ledger, exported by the `audit.export` job taken from BullMQ on real Redis,
 * and the bundle proven by the offline verifier.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.ts";
import { createCatalog } from "../../../events/catalog/index.ts";
import { handle } from "../../../events/handle.ts";
import { createSequencer } from "../../../events/ledger/sequencer.ts";
import { createEventStore, type EventStore } from "../../../events/store.ts";
import { inlineProjections } from "../../../projections/index.ts";
import { systemMeta } from "../../../test/fixtures/events.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../../../test/helpers/db.ts";
import { verifyBundle } from "../../../verifier/verify.ts";
import { createQueue } from "../../../workers/index.ts";
import { createKeyring } from "../../crypto/aead.ts";
import { randomBytes } from "../../crypto/random.ts";
import { checkpointKeys } from "../checkpoint-keys.ts";
import { decideRequest, exportEvolver, exportStream } from "./export.ts";
import { EXPORT_JOB, exportJobHandlers } from "./job.ts";
import { ledgerView } from "./ledger-view.ts";
import { exportById } from "./routes.ts";

const TOTAL = 100_000;
const ORIGIN = "int.test/ledger";

describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(
  "an export of 100,000 events (Postgres + Redis: TEST_DATABASE_URL, TEST_REDIS_URL)",
  () => {
    let db: Db;
    let store: EventStore;
    let dir: string;
    const clock = { now: () => new Date() };
    beforeAll(async () => {
      db = await postgresDb({ max: 8 });
      store = createEventStore({ db, catalog: createCatalog(), inline: inlineProjections() });
      dir = await mkdtemp(join(tmpdir(), "vigil-export-int-"));
    });
    afterAll(async () => {
      await db?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("is built by the job from BullMQ and proven offline", async () => {
      // 1,000-event appends on 4 writers, 50 streams: fast, and chains of 2,000 events each.
      let next = 0;
      const writer = async () => {
        for (let i = next++; i < TOTAL / 1000; i = next++) {
          const events = Array.from({ length: 1000 }, (_, j) => ({
            type: "ProjectionRebuilt",
            data: { projection: `p${i}`, events: i * 1000 + j, durationMs: j / 7 },
          }));
          await store.append(`bulk-${i % 50}`, "any", events, systemMeta);
        }
      };
      await Promise.all([writer(), writer(), writer(), writer()]);

      const keys = checkpointKeys({
        db,
        keyring: createKeyring([{ id: "k1", key: randomBytes(32) }], "k1"),
        name: ORIGIN,
        clock,
      });
      const seq = createSequencer({ db, origin: ORIGIN, sign: keys.sign, batchSize: 5000 });
      while ((await seq.step()) > 0);
      await seq.checkpointIfDue(true);

      const exportId = crypto.randomUUID();
      await handle(
        store,
        exportStream(exportId),
        exportEvolver,
        (s) =>
          decideRequest(s, {
            exportId,
            from: 0,
            to: TOTAL,
            types: [],
            streams: [],
            format: "ndjson",
            previous: null,
          }),
        systemMeta,
      );

      const queue = createQueue({ redisUrl: TEST_REDIS_URL, prefix: `vigil-test-${crypto.randomUUID()}` });
      const runner = queue.createRunner();
      const view = ledgerView({ db, origin: ORIGIN, keys });
      const logger = { info: () => {}, warn: () => {} };
      runner.start(exportJobHandlers({ db, store, clock, logger, view, dir }));
      try {
        await queue.enqueue({ name: EXPORT_JOB, id: `${exportId}/${EXPORT_JOB}`, data: { exportId } });
        let status = "queued";
        for (const until = Date.now() + 240_000; /queued|running/.test(status) && Date.now() < until; ) {
          await new Promise((r) => setTimeout(r, 200));
          status = (await exportById(db, exportId))!.status;
        }
        expect(await exportById(db, exportId)).toMatchObject({
          status: "completed",
          events: TOTAL,
          proof: "range",
          progress: { percent: 100 },
        });
      } finally {
        await runner.close();
        await queue.close();
      }

      const verdict = await verifyBundle(createReadStream(join(dir, `${exportId}.tar`)), {
        keys: [(await keys.current()).verifierKey],
      });
      expect(verdict).toMatchObject({ ok: true, events: TOTAL, checkpoint: TOTAL });
    }, 600_000);
  },
);
