/**
 * The analyzer under concurrency, on real Postgres (PGlite serialises
 * everything, so it cannot show this): the same trigger analysed by ten jobs
 * at once raises each alert once and bans once.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.ts";
import { createCatalog } from "../../../events/catalog/index.ts";
import { createEventStore } from "../../../events/store.ts";
import type { StoredEvent } from "../../../events/types.ts";
import { inlineProjections } from "../../../projections/index.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../../test/helpers/db.ts";
import { analyze } from "./analyze.ts";

describe.runIf(TEST_DATABASE_URL)("threat analysis on Postgres (TEST_DATABASE_URL)", () => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it("raises each alert and the ban exactly once when duplicate jobs race", async () => {
    db = await postgresDb({ max: 12 });
    let t = Date.parse("2026-03-01T10:00:00.000Z");
    const store = createEventStore({
      db,
      catalog: createCatalog(),
      inline: inlineProjections(),
      now: () => {
        t += 1000;
        return new Date(t);
      },
    });
    const meta = {
      actor: "anonymous",
      ip: "203.0.113.9",
      userAgent: null,
      requestId: null,
      correlationId: null,
      causationId: null,
    };
    let last: StoredEvent | undefined;
    for (let i = 0; i < 51; i++) {
      const emailHash = i.toString(16).padStart(64, "0");
      const r = await store.append(
        `login-unknown-${emailHash[0]}`,
        "any",
        [{ type: "LoginFailed", data: { userId: null, emailHash, reason: "unknown_email" } }],
        meta,
      );
      last = r.events[0]!;
    }
    const deps = { db, store, clock: { now: () => new Date(t) } };
    const results = await Promise.all(Array.from({ length: 10 }, () => analyze(deps, last!)));
    expect(results.flatMap((r) => r.banned)).toEqual(["203.0.113.9"]);
    expect(results.flatMap((r) => r.raised)).toHaveLength(2);
    const rows = await db.query<{ rule: string }>("SELECT rule FROM alerts ORDER BY rule");
    expect(rows.map((r) => r.rule)).toEqual(["credential_stuffing", "ip_ban"]);
    const bans = await db.query<{ ip: string; failures: number }>("SELECT ip, failures FROM ip_bans");
    expect(bans).toEqual([{ ip: "203.0.113.9", failures: 51 }]);
  });
});
