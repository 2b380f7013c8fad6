/**
 * Waking the push fan-out within milliseconds of an append, on any instance:
 * a NOTIFY sent inside the appending transaction (so it arrives exactly when
 * the event commits, from whichever process wrote it: a REST handler, a socket
 * command, a timeout job), heard by a LISTEN on every instance, which pokes its
 * fan-out consumer. The consumer then reads the log as always; the
 * notification carries nothing but the schema, so test schemas sharing one
 * database do not wake each other.
 *
 * It is an inline "projection" with no table, added to the event store's inline
 * list by the runtime (not to the rebuildable projections: there is nothing to
 * rebuild).
 */
import type { Db } from "../../../db/client.ts";
import type { Projection } from "../../../projections/types.ts";
import { PUSHED_TYPES } from "./pushes.ts";

export const WAKE_CHANNEL = "vigil_custody_push";

export const pushWakeup: Projection = {
  name: "custody_push_wakeup",
  mode: "inline",
  eventTypes: [...PUSHED_TYPES, "SessionRevoked"],
  tables: [],
  async apply(sql) {
    await sql.query("SELECT pg_notify($1, current_schema())", [WAKE_CHANNEL]);
  },
};

/**
 * After a wake-up, read again a few times in quick succession: the event is
 * committed, but the gap-free read fence (events/store.ts readAll) holds it
 * back while any older transaction on the server is still open, so the first
 * read may well find nothing. Then the slow poll takes over again.
 */
export const RETRY_AFTER_WAKE_MS: readonly number[] = [0, 3, 8, 15, 30, 60, 120];

/**
 * LISTENs for wake-ups of this database schema and pokes the consumer on the
 * retry schedule; resolves to a function that stops listening.
 */
export async function listenForWakeups(db: Db, poke: () => void): Promise<() => Promise<void>> {
  if (!db.listen) return async () => {};
  const [row] = await db.query<{ schema: string }>("SELECT current_schema() AS schema");
  const schema = row?.schema;
  let timers: ReturnType<typeof setTimeout>[] = [];
  const burst = () => {
    // A new wake-up restarts the schedule: the newest event is the one to chase.
    for (const t of timers) clearTimeout(t);
    timers = RETRY_AFTER_WAKE_MS.map((ms) => setTimeout(poke, ms));
  };
  const unlisten = await db.listen(WAKE_CHANNEL, (payload) => {
    if (payload === schema) burst();
  });
  return async () => {
    for (const t of timers) clearTimeout(t);
    await unlisten();
  };
}
