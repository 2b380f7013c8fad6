/**
 * Voting power. Every assignment is a VotingPowerAssigned event on the one
 * `governance-power` stream, so "everyone's power at log position P" is a
 * single `stateAt` over that stream (events/time-travel.ts): that is how a
 * vote counts with the power its voter held at the proposal's snapshot, and
 * how `governance verify` recomputes it offline.
 *
 * An assignment's transaction locks the stream row first (its first write), and
 * activation locks the same row before appending the snapshot event: so every
 * assignment is either wholly before a snapshot (committed, lower position) or
 * wholly after it. A snapshot's state can therefore be cached for good.
 */
import type { Sql } from "../../db/client.ts";
import type { Evolver } from "../../events/handle.ts";
import type { EventStore } from "../../events/store.ts";
import { stateAt } from "../../events/time-travel.ts";
import type { EventMetadata, Position } from "../../events/types.ts";
import type { AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { userById } from "../identity/user.ts";
import { lockStream } from "./streams.ts";

export const POWER_STREAM = "governance-power";

export type PowerState = ReadonlyMap<string, number>;

export const powerEvolver: Evolver<PowerState> = {
  initialState: () => new Map(),
  evolve(s, e) {
    if (e.type !== "VotingPowerAssigned") return s;
    const d = e.data as { userId: string; power: number };
    const next = new Map(s);
    if (d.power > 0) next.set(d.userId, d.power);
    else next.delete(d.userId);
    return next;
  },
};

export const totalPower = (s: PowerState) => [...s.values()].reduce((a, b) => a + b, 0);

export async function currentPower(sql: Sql, userId: string): Promise<number> {
  const [r] = await sql.query<{ power: number | string }>(
    "SELECT power FROM governance_power WHERE user_id = $1",
    [userId],
  );
  return Number(r?.power ?? 0);
}

export async function assignPower(
  deps: AppDeps,
  userId: string,
  power: number,
  reason: string,
  meta: EventMetadata,
): Promise<{ userId: string; power: number; previous: number }> {
  return deps.db.transaction(async (tx) => {
    await lockStream(tx, POWER_STREAM);
    if (!(await userById(tx, userId))) throw new AppError("not_found", "No such user");
    const previous = await currentPower(tx, userId);
    await deps.store.appendIn(
      tx,
      POWER_STREAM,
      "any",
      [{ type: "VotingPowerAssigned", data: { userId, power, previous, reason } }],
      meta,
    );
    return { userId, power, previous };
  });
}

/** Power at snapshots, cached: a snapshot's state never changes (see above). */
export function snapshotPower(store: EventStore, max = 64) {
  const cache = new Map<string, Promise<PowerState>>();
  return (at: Position): Promise<PowerState> => {
    const key = `${at.txId}/${at.id}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = stateAt(store, POWER_STREAM, powerEvolver, at).then((r) => r.state);
      hit.catch(() => cache.delete(key));
      cache.set(key, hit);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return hit;
  };
}
