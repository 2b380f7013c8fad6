/**
 * A checkpointed consumer of the log: async projections and the job dispatcher
 * are both one. It reads past its checkpoint with the gap-free `readAll`, hands
 * the batch to `handle` inside a transaction, and advances the checkpoint in that
 * same transaction, so a batch's table writes and its checkpoint commit together.
 * (A handler with effects outside the database, like enqueueing jobs, makes them
 * idempotent instead: see workers/dispatcher.ts.)
 *
 * One instance per consumer runs at a time: the runner holds a session advisory
 * lock named after the consumer; a second instance waits as a standby.
 */
import type { Db, Sql } from "../db/client.ts";
import type { EventStore } from "../events/store.ts";
import { comparePositions, type StoredEvent } from "../events/types.ts";
import { advanceCheckpoint, loadCheckpoint } from "./checkpoints.ts";
import { wakeableSleep } from "./wake.ts";

export interface Consumer {
  readonly name: string;
  /** Only these types reach `handle` (the checkpoint still moves past the rest). */
  readonly eventTypes?: readonly string[];
  handle(tx: Sql, events: readonly StoredEvent[]): Promise<void>;
}

export interface ConsumerDeps {
  db: Db;
  store: EventStore;
  batchSize?: number;
}

/** Processes one batch; returns how many events it read (0 = caught up). */
export async function consumeOnce(deps: ConsumerDeps, consumer: Consumer): Promise<number> {
  const from = await loadCheckpoint(deps.db, consumer.name);
  const batch = await deps.store.readAll(from, { limit: deps.batchSize ?? 500 });
  const last = batch.at(-1);
  if (!last) return 0;
  const wanted = consumer.eventTypes ? batch.filter((e) => consumer.eventTypes!.includes(e.type)) : batch;
  const advanced = await deps.db.transaction(async (tx) => {
    if (!(await advanceCheckpoint(tx, consumer.name, from, last.position))) return false;
    if (wanted.length > 0) await consumer.handle(tx, wanted);
    return true;
  });
  return advanced ? batch.length : 0;
}

/**
 * Runs until every event committed before the call has been consumed: the CLI
 * and tests use it. The fence may hold events back while an older transaction
 * anywhere on the server is still open, so it waits for those (up to `timeoutMs`,
 * by default as long as the server lets an idle transaction live: 30 s).
 */
export async function catchUp(deps: ConsumerDeps, consumer: Consumer, timeoutMs = 30_000): Promise<number> {
  const [last] = await deps.db.query<{ tx_id: string; id: number }>(
    "SELECT tx_id::text AS tx_id, id FROM events ORDER BY tx_id DESC, id DESC LIMIT 1",
  );
  const deadline = Date.now() + timeoutMs;
  let total = 0;
  for (;;) {
    const n = await consumeOnce(deps, consumer);
    total += n;
    if (n > 0) continue;
    const at = await loadCheckpoint(deps.db, consumer.name);
    if (!last || comparePositions(at, { txId: last.tx_id, id: last.id }) >= 0) return total;
    if (Date.now() > deadline) throw new Error(`${consumer.name}: an open transaction holds the log back`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RunningConsumer {
  /** Resolves once the loop has stopped and released its lock. */
  stop(): Promise<void>;
  /** Ask for a read now instead of at the next poll. */
  poke(): void;
}

export interface RunOptions extends ConsumerDeps {
  pollMs?: number;
  onError?: (err: unknown, consumer: string) => void;
}

const LOCK_KEY = "hashtext(current_schema() || ':vigil:consumer:' || $1)";

/** Starts the consumer loop under its advisory lock; it polls and can be poked. */
export function runConsumer(opts: RunOptions, consumer: Consumer): RunningConsumer {
  const pollMs = opts.pollMs ?? 250;
  let stopped = false;
  // A poke that arrives while a batch is being read must not be lost (see wake.ts).
  const { sleep, poke } = wakeableSleep();

  const loop = opts.db.reserve(async (conn) => {
    // Standby until the lock is ours: exactly one instance consumes.
    while (!stopped) {
      const [row] = await conn.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`, [
        consumer.name,
      ]);
      if (row?.ok) break;
      await sleep(pollMs * 4);
    }
    if (stopped) return;
    try {
      while (!stopped) {
        let n = 0;
        try {
          n = await consumeOnce(opts, consumer);
        } catch (err) {
          opts.onError?.(err, consumer.name);
          await sleep(pollMs * 4);
        }
        if (n === 0 && !stopped) await sleep(pollMs);
      }
    } finally {
      await conn.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [consumer.name]);
    }
  });

  return {
    poke,
    async stop() {
      stopped = true;
      poke();
      await loop;
    },
  };
}
