/**
 * The snapshot power cache: a snapshot's power is read from the log once, and
 * power granted after the snapshot never shows in it, however warm the cache;
 * a later snapshot sees the later grants.
 */
import { describe, expect, it } from "vitest";
import { createCatalog } from "../../events/catalog/index.ts";
import { createEventStore, type EventStore } from "../../events/store.ts";
import type { Position } from "../../events/types.ts";
import { systemMeta } from "../../test/fixtures/events.ts";
import { dbCases } from "../../test/helpers/db.ts";
import { POWER_STREAM, snapshotPower, totalPower } from "./power.ts";

const alice = crypto.randomUUID();
const bob = crypto.randomUUID();

async function grant(store: EventStore, userId: string, power: number): Promise<Position> {
  const r = await store.append(
    POWER_STREAM,
    "any",
    [{ type: "VotingPowerAssigned", data: { userId, power, previous: 0, reason: "test" } }],
    systemMeta,
  );
  return r.events[0]!.position;
}

describe.each(dbCases())("snapshotPower ($name)", ({ make }) => {
  // Generous: a migrated PGlite takes long to start on a loaded machine.
  it("reads a snapshot once and never lets a later grant into it", { timeout: 180_000 }, async () => {
    const db = await make();
    const store = createEventStore({ db, catalog: createCatalog() });
    let reads = 0;
    const counting: EventStore = {
      ...store,
      readStream: (id, o) => {
        reads++;
        return store.readStream(id, o);
      },
    };
    const powerAt = snapshotPower(counting);

    await grant(store, alice, 10);
    const snapshot = await grant(store, bob, 5);
    const first = await powerAt(snapshot);
    expect(Object.fromEntries(first)).toEqual({ [alice]: 10, [bob]: 5 });

    // Power granted and removed after the snapshot: the snapshot is unchanged,
    // from the cache (no new read), and would be the same read afresh.
    await grant(store, alice, 1000);
    const later = await grant(store, bob, 0);
    const again = await powerAt({ ...snapshot });
    expect(reads).toBe(1);
    expect(Object.fromEntries(again)).toEqual({ [alice]: 10, [bob]: 5 });
    expect(Object.fromEntries(await snapshotPower(store)(snapshot))).toEqual({ [alice]: 10, [bob]: 5 });
    expect(totalPower(again)).toBe(15);

    // A later snapshot has its own entry, with the later grants.
    expect(Object.fromEntries(await powerAt(later))).toEqual({ [alice]: 1000 });
    expect(reads).toBe(2);
    await db.close();
  });
});
