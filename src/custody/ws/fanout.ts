/**
 * The push fan-out: a checkpointed consumer of the log (projections/consumer.ts)
 * that turns committed events into bus messages. Never the request path: what
 * a guardian receives is what the log says, in log order, whoever appended it
 * (a REST call, a socket command, a timeout job, another instance).
 *
 * One instance runs it at a time (an advisory lock, the others stand by); it
 * is woken by a NOTIFY sent in the appending transaction (wake.ts) and polls
 * slowly besides. Unlike projections/consumer.ts it keeps its position in
 * memory while it holds the lock and writes the checkpoint after publishing,
 * not in a transaction around the batch: the push path is two queries
 * (read the log, the recipients) and a PUBLISH, which is what keeps a push
 * within milliseconds of its append.
 *
 * - custody events become `event` frames for the vault's guardians (pushes.ts
 *   decides which events, which words and who receives them);
 * - SessionRevoked closes that session's sockets on every instance (4012, or
 *   4013 when the account was disabled).
 *
 * Delivery is at least once (a batch published and then rolled back is
 * published again; frames carry the event id to deduplicate) and live only:
 * an event older than `maxAgeMs` when read (a consumer that was down, a first
 * start over an old log) is not pushed, since clients read state over REST
 * when they connect.
 */
import type { Db, Sql } from "../../../db/client.ts";
import type { EventStore } from "../../../events/store.ts";
import type { StoredEvent } from "../../../events/types.ts";
import { loadCheckpoint, setCheckpoint } from "../../../projections/checkpoints.ts";
import type { Consumer, RunningConsumer } from "../../../projections/consumer.ts";
import type { BusMessage, Delivery, PushBus } from "./bus.ts";

export const FANOUT_CONSUMER = "custody-push";

/** Which events are pushed, to whom and as what (see pushes.ts). */
export interface PushSource {
  readonly eventTypes: readonly string[];
  deliveries(sql: Sql, event: StoredEvent): Promise<Delivery[]>;
}

export interface FanoutOptions {
  bus: PushBus;
  source: PushSource;
  clock: { now(): Date };
  maxAgeMs: number;
}

export function fanoutConsumer(opts: FanoutOptions): Consumer {
  return {
    name: FANOUT_CONSUMER,
    eventTypes: [...opts.source.eventTypes, "SessionRevoked"],
    async handle(tx, events) {
      const out: BusMessage[] = [];
      const oldest = opts.clock.now().getTime() - opts.maxAgeMs;
      for (const e of events) {
        if (e.recordedAt.getTime() < oldest) continue;
        if (e.type === "SessionRevoked") {
          const d = e.data as { sessionId: string; reason: string };
          const reason = d.reason === "account_disabled" ? "account_disabled" : "session_revoked";
          out.push({ kind: "revoke", sessionIds: [d.sessionId], reason });
          continue;
        }
        const deliveries = await opts.source.deliveries(tx, e);
        if (deliveries.length > 0) out.push({ kind: "push", deliveries });
      }
      for (const m of out) await opts.bus.publish(m);
    },
  };
}

export interface RunFanoutOptions {
  db: Db;
  store: EventStore;
  pollMs: number;
  onError?: (err: unknown) => void;
}

const LOCK = "hashtext(current_schema() || ':vigil:custody-push')";

/** Runs the fan-out under its advisory lock until stopped; `poke` reads at once. */
export function runFanout(opts: RunFanoutOptions, consumer: Consumer): RunningConsumer {
  let stopped = false;
  let poked = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (poked) {
        poked = false;
        return resolve();
      }
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  const types = consumer.eventTypes;

  const loop = opts.db.reserve(async (conn) => {
    while (!stopped) {
      const [row] = await conn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`);
      if (row?.ok) break;
      await sleep(opts.pollMs * 4);
    }
    if (stopped) return;
    try {
      let at = await loadCheckpoint(opts.db, consumer.name);
      while (!stopped) {
        try {
          const batch = await opts.store.readAll(at, { limit: 500, ...(types ? { types } : {}) });
          const last = batch.at(-1);
          if (!last) {
            await sleep(opts.pollMs);
            continue;
          }
          await consumer.handle(opts.db, batch);
          at = last.position;
          await setCheckpoint(opts.db, consumer.name, at);
        } catch (err) {
          opts.onError?.(err);
          await sleep(opts.pollMs * 4);
        }
      }
    } finally {
      await conn.query(`SELECT pg_advisory_unlock(${LOCK})`);
    }
  });

  return {
    poke() {
      if (wake) wake();
      else poked = true;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
