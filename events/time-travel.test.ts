import { describe, expect, it } from "vitest";
import { systemMeta } from "../test/fixtures/events.ts";
import { pgliteDb } from "../test/helpers/db.ts";
import { createCatalog } from "./catalog/index.ts";
import type { Evolver } from "./handle.ts";
import { createEventStore } from "./store.ts";
import { stateAt } from "./time-travel.ts";
import { START, type StoredEvent } from "./types.ts";

const countRoles: Evolver<string[]> = {
  initialState: () => [],
  evolve: (s, e: StoredEvent) =>
    e.type === "UserRoleGranted" ? [...s, (e.data as { role: string }).role] : s,
};

describe("stateAt", () => {
  it("folds only the events at or before the position", async () => {
    const db = await pgliteDb();
    const u1 = crypto.randomUUID();
    const store = createEventStore({ db, catalog: createCatalog() });
    const grant = (role: string) => ({
      type: "UserRoleGranted",
      data: { userId: u1, role, reason: "test" },
    });
    const first = await store.append(`user-${u1}`, "any", [grant("viewer")], systemMeta);
    await store.append(`user-${crypto.randomUUID()}`, "any", [grant("admin")], systemMeta);
    await store.append(`user-${u1}`, "any", [grant("stakeholder")], systemMeta);

    const at = first.events[0]!.position;
    expect(await stateAt(store, `user-${u1}`, countRoles, at)).toEqual({ state: ["viewer"], version: 1 });
    expect(await stateAt(store, `user-${u1}`, countRoles, START)).toEqual({ state: [], version: 0 });
    const all = await store.readAll(START);
    const last = all.at(-1)!.position;
    expect(await stateAt(store, `user-${u1}`, countRoles, last)).toEqual({
      state: ["viewer", "stakeholder"],
      version: 2,
    });
    await db.close();
  });
});
