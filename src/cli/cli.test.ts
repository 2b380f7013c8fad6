import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore, type EventStore } from "../../events/store.ts";
import { catchUp } from "../../projections/consumer.ts";
import { eventStatsProjection } from "../../projections/event-stats.ts";
import { allProjections } from "../../projections/index.ts";
import { projectionConsumer } from "../../projections/runner.ts";
import { systemMeta as meta } from "../../test/fixtures/events.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import { createMailer } from "../../workers/index.ts";
import { runCli } from "./run.ts";

const rebuilt = (projection: string) => ({
  type: "ProjectionRebuilt",
  data: { projection, events: 1, durationMs: 1 },
});

describe("cli", () => {
  let db: Db;
  let store: EventStore;
  let lines: string[];
  let dataDir: string;
  const run = (...argv: string[]) =>
    runCli(argv, {
      db,
      store,
      projections: allProjections,
      dataDir,
      out: (l) => lines.push(l),
      progress: () => {},
    });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vigil-cli-"));
    db = await pgliteDb();
    store = createEventStore({ db, catalog: createCatalog() });
    lines = [];
    await store.append("system-a", "no_stream", [rebuilt("a"), rebuilt("b"), rebuilt("c")], meta);
  });
  afterEach(async () => {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("verify passes an intact log and records the check as an event", async () => {
    expect(await run("verify")).toBe(0);
    expect(lines.at(-1)).toBe("every chain holds");
    const [e] = await store.readStream("system-verification");
    expect(e).toMatchObject({
      type: "ChainVerified",
      data: { streams: 1, events: 3, broken: 0, firstBreak: null },
    });
  });

  it("verify exits 1 and names the first broken link after tampering", async () => {
    await db.transaction(async (tx) => {
      await tx.query("SET LOCAL session_replication_role = replica");
      await tx.query(`UPDATE events SET data = jsonb_set(data, '{events}', '9') WHERE stream_version = 2`);
    });
    expect(await run("verify")).toBe(1);
    expect(lines).toContain("BROKEN system-a at version 2: hash_mismatch");
    expect(lines.some((l) => /^ {2}expected [0-9a-f]{64}$/.test(l))).toBe(true);
    const [e] = await store.readStream("system-verification");
    expect(e!.data).toMatchObject({ broken: 1, firstBreak: { streamId: "system-a", version: 2 } });
  });

  it("replay --verify exits 1 with a readable diff when a projection drifted, 0 after a rebuild", async () => {
    await catchUp({ db, store }, projectionConsumer(eventStatsProjection));
    expect(await run("replay", "--verify")).toBe(0);
    await db.query("UPDATE event_stats SET count = 42");
    lines = [];
    expect(await run("replay", "--verify")).toBe(1);
    expect(lines[0]).toMatch(/^DIFF event_stats\.event_stats: live 1 rows, rebuilt from the log 1 rows$/);
    expect(lines[1]).toMatch(/live only: .*"count":42/);
    expect(lines[2]).toMatch(/rebuilt only: .*"count":3/);
    expect(await run("rebuild", "event_stats")).toBe(0);
    expect(await run("replay", "--verify")).toBe(0);
    expect((await store.readStream("system-rebuilds"))[0]!.data).toMatchObject({
      projection: "event_stats",
      events: 3,
    });
  });

  it("refuses unknown commands and projections", async () => {
    expect(await run("nope")).toBe(2);
    expect(await run("rebuild")).toBe(2);
    await expect(run("rebuild", "nope")).rejects.toThrow(/no projection named nope/);
  });

  it("reads the development outbox, newest first", async () => {
    const mailer = createMailer({ from: "Vigil <no-reply@localhost>", dataDir });
    await mailer.send({ to: "a@example.com", subject: "first", text: "one" });
    await mailer.send({ to: "b@example.com", subject: "second", text: "two" });
    expect(await run("outbox", "--limit", "1")).toBe(0);
    expect(lines).toContain("Subject: second");
    expect(lines).not.toContain("Subject: first");
  });

  it("lists the catalogue", async () => {
    expect(await run("catalog", "--json")).toBe(0);
    const cat = JSON.parse(lines.join("\n")) as { type: string; schema: { type: string } }[];
    expect(cat.map((c) => c.type)).toContain("ChainVerified");
    expect(cat[0]!.schema.type).toBe("object");
  });
});
