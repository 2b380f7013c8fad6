/**
 * The write combiner: single-statement appends that own their transaction
 * (`store.append` with an exact expected version or `no_stream`, no inline
 * projection) are queued, and whatever queued while earlier batches were in
 * flight is sent as one call of `vigil_append_many` (db/migrations/0013): one
 * round trip and one commit for many streams, where each commit used to cost
 * its own WAL flush.
 *
 * Nothing about an append changes but its neighbours in the commit:
 * - each append is still `vigil_append`, with its own expected-version check
 *   under its stream's row lock and its hash chain computed by the database;
 * - each runs in its own subtransaction, so one that fails (a version
 *   conflict, a duplicate event id, a deadlock) fails alone, with the SQLSTATE
 *   it always had, and the others commit;
 * - a caller's promise settles only after the batch committed (or failed).
 *
 * A batch of one-event appends to distinct streams (the common case) is first
 * sent as `vigil_append_each` (db/migrations/0016): the same checks, enforced by
 * the database for every append, one statement per step for the whole batch
 * instead of four per append. It has no subtransactions, so if any append fails
 * nothing of the batch commits, and the batch goes again as `vigil_append_many`,
 * each append on its own. Server CPU per append at 32 writers: ~170 µs → ~130 µs.
 *
 * Under light load nothing waits: with no batch in flight an append is sent at
 * once, alone, through plain `vigil_append`. With one in flight, what queues is
 * sent at the end of the event loop's turn (up to `maxInFlight` batches): the
 * callers a batch just answered append again in that turn, and sent one by one
 * as they arrived (as before), the first went alone, a commit of its own, at
 * 32 writers a fifth of all appends.
 * Appends inside a caller's transaction (`store.appendIn`) never come here.
 */
import type { Db, Sql } from "../db/client.ts";
import { withoutDeadline } from "../db/deadline.ts";

export interface CombinedAppend {
  streamId: string;
  streamType: string;
  /** The stream's expected version (0: the stream must not exist yet). */
  expected: number;
  /** The canonical envelopes, as `vigil_append` takes them. */
  canon: readonly string[];
}

export interface AppendRow {
  ids: number[];
  tx_id: string;
  version: number;
  head_hash: Uint8Array;
}

export interface CombinerOptions {
  /** Batches in flight at once (default 4): more overlap round trips, fewer make bigger batches. */
  maxInFlight?: number;
  /**
   * Appends per batch (default 32). Each append is a subtransaction, and
   * Postgres tracks at most 64 of them per transaction cheaply.
   */
  maxBatch?: number;
  /** Events per batch (default 1000); a bigger append is sent on its own. */
  maxEvents?: number;
}

export interface AppendCombiner {
  append(a: CombinedAppend): Promise<AppendRow>;
}

interface Pending {
  a: CombinedAppend;
  resolve(row: AppendRow): void;
  reject(err: unknown): void;
}

const SINGLE =
  "SELECT ids, tx_id::text AS tx_id, version, head_hash FROM vigil_append($1, $2, $3, $4::text::text[])";
const MANY =
  "SELECT ids, tx_id::text AS tx_id, version, head_hash, err_code, err_message " +
  "FROM vigil_append_many($1::text::text[], $2::text::text[], $3::text::bigint[], $4::text::int[], $5::text::text[])";
const EACH =
  "SELECT ids, tx_id::text AS tx_id, version, head_hash, err_code, err_message " +
  "FROM vigil_append_each($1::text::text[], $2::text::text[], $3::text::bigint[], $4::text::text[])";

type BatchRow = AppendRow & { err_code: string | null; err_message: string | null };

/** One event each, no stream twice: what vigil_append_each (db/migrations/0016) takes. */
function setBased(sorted: readonly Pending[]): boolean {
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.a.canon.length !== 1) return false;
    if (i > 0 && sorted[i]!.a.streamId === sorted[i - 1]!.a.streamId) return false;
  }
  return true;
}

/**
 * An ERROR the server answered with: the statement's transaction rolled back and
 * the session goes on. Not FATAL (the session ended) nor a driver error (the
 * connection): whether those committed is not ours to guess.
 */
function refusedByServer(err: unknown): boolean {
  return (err as { severity?: unknown } | null)?.severity === "ERROR";
}

/** One append, alone, in one autocommit statement. */
export async function appendOne(db: Sql, a: CombinedAppend): Promise<AppendRow> {
  const [row] = await db.query<AppendRow>(SINGLE, [
    a.streamId,
    a.streamType,
    a.expected,
    pgTextArray(a.canon),
  ]);
  if (!row) throw new Error("vigil_append returned no row");
  return row;
}

/** The error a failed append of a batch would have raised on its own: same SQLSTATE, same message. */
export class AppendFailed extends Error {
  override readonly name = "AppendFailed";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createAppendCombiner(db: Db, opts: CombinerOptions = {}): AppendCombiner {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  const maxBatch = Math.min(64, Math.max(1, opts.maxBatch ?? 32));
  const maxEvents = Math.max(1, opts.maxEvents ?? 1000);
  const queue: Pending[] = [];
  let inFlight = 0;

  /** Takes the next batch off the queue: at most maxBatch appends and maxEvents events (at least one append). */
  function take(): Pending[] {
    const batch: Pending[] = [];
    let events = 0;
    while (queue.length > 0 && batch.length < maxBatch) {
      const n = queue[0]!.a.canon.length;
      if (batch.length > 0 && events + n > maxEvents) break;
      batch.push(queue.shift()!);
      events += n;
    }
    return batch;
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = take();
      inFlight++;
      // The batch is shared by several requests: no single request's deadline may
      // cancel it (each caller's commit point waits for its outcome instead).
      void withoutDeadline(() => send(batch)).finally(() => {
        inFlight--;
        later();
      });
    }
  }

  /**
   * Sends what queued once this turn of the event loop is over. The callers a
   * batch just answered append again in the same turn: sent as each arrives, the
   * first would go alone (a commit of its own) and the rest would wait behind it.
   */
  let scheduled = false;
  function later(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  }

  async function send(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const p = batch[0]!;
      try {
        p.resolve(await appendOne(db, p.a));
      } catch (err) {
        p.reject(err);
      }
      return;
    }
    // Stream order, stable: two batches never lock the same streams in opposite orders.
    const sorted = [...batch].sort((x, y) =>
      x.a.streamId < y.a.streamId ? -1 : x.a.streamId > y.a.streamId ? 1 : 0,
    );
    let rows: BatchRow[] | undefined;
    if (setBased(sorted)) {
      // One statement per step for the whole batch; if any append fails it all
      // rolls back, and the batch goes again below, each append on its own.
      try {
        rows = await db.query<BatchRow>(EACH, [
          pgTextArray(sorted.map((p) => p.a.streamId)),
          pgTextArray(sorted.map((p) => p.a.streamType)),
          `{${sorted.map((p) => p.a.expected).join(",")}}`,
          pgTextArray(sorted.map((p) => p.a.canon[0]!)),
        ]);
      } catch (err) {
        if (!refusedByServer(err)) {
          // The connection, not the server: whether it committed is unknown, so no second try.
          for (const p of sorted) p.reject(err);
          return;
        }
      }
    }
    try {
      rows ??= await db.query<BatchRow>(MANY, [
        pgTextArray(sorted.map((p) => p.a.streamId)),
        pgTextArray(sorted.map((p) => p.a.streamType)),
        `{${sorted.map((p) => p.a.expected).join(",")}}`,
        `{${sorted.map((p) => p.a.canon.length).join(",")}}`,
        pgTextArray(sorted.flatMap((p) => p.a.canon)),
      ]);
    } catch (err) {
      // The statement as a whole failed (the connection, the server): nothing committed.
      for (const p of sorted) p.reject(err);
      return;
    }
    sorted.forEach((p, i) => {
      const row = rows[i];
      if (!row) p.reject(new Error("vigil_append_many returned too few rows"));
      else if (row.err_code) p.reject(new AppendFailed(row.err_code, row.err_message ?? row.err_code));
      else p.resolve(row);
    });
  }

  return {
    append(a) {
      return new Promise<AppendRow>((resolve, reject) => {
        queue.push({ a, resolve, reject });
        // Nothing in flight: no one to wait for, so it goes at once.
        if (inFlight === 0) pump();
        else later();
      });
    },
  };
}

/**
 * A Postgres array literal of texts. Sent as one text parameter, so both drivers
 * pass it unchanged (each would otherwise serialise a JS array its own way).
 */
export function pgTextArray(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}
