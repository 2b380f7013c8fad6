/**
 * The event store: append with optimistic concurrency and a per-stream hash
 * chain, read a stream, and read the whole log gap-free in commit-safe order.
 *
 * Append is one call of the SQL function `vigil_append` (db/migrations/0001):
 * one statement when no inline projection cares about the events (concurrent
 * ones of other streams share it and its commit: events/combiner.ts), otherwise
 * a short transaction that also runs those projections.
 */
import type { Db, Sql } from "../db/client.ts";
import { pgCode } from "../db/client.ts";
import { atCommitPoint } from "../db/deadline.ts";
import type { Projection } from "../projections/types.ts";
import { type Catalog, metadataSchema } from "./catalog/catalog.ts";
import {
  type AppendRow,
  appendOne,
  type CombinedAppend,
  type CombinerOptions,
  createAppendCombiner,
} from "./combiner.ts";
import { canonicalEnvelope } from "./envelope.ts";
import { ConcurrencyError, EventValidationError } from "./errors.ts";
import { uuidv7 } from "./ids.ts";
import type { PiiCipher } from "./pii.ts";
import { type EventRow, eventColumns, toStoredEvent } from "./rows.ts";
import { findJsonTextProblem } from "./text.ts";
import type {
  AppendResult,
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  Position,
  StoredEvent,
} from "./types.ts";

export interface EventStoreOptions {
  db: Db;
  catalog: Catalog;
  inline?: readonly Projection[];
  /** Seals personal data on append and opens it on read (crypto-shredding); none: stored in clear. */
  pii?: PiiCipher;
  now?: () => Date;
  newId?: () => string;
  /** The write combiner's limits (events/combiner.ts); `false` sends every append on its own. */
  combine?: CombinerOptions | false;
}

export interface ReadAllOptions {
  limit?: number;
  /** Only these types (the position still advances past the others). */
  types?: readonly string[];
}

export interface ReadLogOptions extends ReadAllOptions {
  /** Only events of transactions older than every running one (see readAll). */
  fenced?: boolean;
  /** Stop at this position, inclusive. */
  until?: Position;
  /** Personal data as stored (sealed), for what must hash what was stored: exports, proofs. */
  sealed?: boolean;
}

export interface EventStore {
  append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
  ): Promise<AppendResult>;
  /** Like append, but inside a transaction the caller already holds. */
  appendIn(
    tx: Sql,
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
  ): Promise<AppendResult>;
  /**
   * Like append, but written by the caller's own autocommit statement: `write`
   * gets what `vigil_append` takes and returns its row. No inline projection
   * runs here: `write`'s statement must do their work itself, so checks, the
   * append and the projection commit as one statement (a vote: src/governance/votes.ts).
   */
  appendVia(
    streamId: string,
    expected: "no_stream" | number,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    write: (a: CombinedAppend) => Promise<AppendRow>,
  ): Promise<AppendResult>;
  readStream(streamId: string, opts?: { fromVersion?: number }): Promise<StoredEvent[]>;
  /** The log after `after`, gap-free: never skips an event that commits late. */
  readAll(after: Position, opts?: ReadAllOptions): Promise<StoredEvent[]>;
  /** The log read through a given connection or transaction (rebuild and replay use it). */
  readLogIn(sql: Sql, after: Position, opts?: ReadLogOptions): Promise<StoredEvent[]>;
  streamVersion(streamId: string): Promise<number>;
  /** Crypto-shredding: deletes the subject's data key in the caller's transaction (events/pii.ts). */
  forget(sql: Sql, subject: string): Promise<void>;
  /**
   * Opens the sealed personal data of events read by other means (ERASED where
   * erased), through `sql` when the caller reads inside a transaction.
   */
  open(events: readonly StoredEvent[], sql?: Sql): Promise<StoredEvent[]>;
  /**
   * Runs `hook` after every append to a stream of `streamType`, inside the
   * append's transaction and before it commits (so anything it announces is
   * never behind what committed); a hook that throws rolls the append back.
   * Such streams are never written by the combiner or by appendVia. Returns
   * the unsubscribe.
   */
  beforeCommit(streamType: string, hook: AppendHook): () => void;
  readonly catalog: Catalog;
}

export type AppendHook = (streamId: string, version: number) => Promise<void>;

const COLUMNS = eventColumns();

/** `user:<uuid>` acting is the person `user-<uuid>`; keys, systems and anonymous are no one. */
function actorSubject(actor: string): string | null {
  return actor.startsWith("user:") ? `user-${actor.slice(5)}` : null;
}

/** `stream_type` is the id's prefix: `user-42` is of type `user`. */
export function streamTypeOf(streamId: string): string {
  const dash = streamId.indexOf("-");
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

export function createEventStore(opts: EventStoreOptions): EventStore {
  const { db, catalog } = opts;
  const now = opts.now ?? (() => new Date());
  const newId = opts.newId ?? (() => uuidv7());
  const inline = opts.inline ?? [];
  const combiner =
    opts.combine === false
      ? { append: (a: CombinedAppend) => appendOne(db, a) }
      : createAppendCombiner(db, opts.combine);

  const toStored = (r: EventRow) => toStoredEvent(catalog, r);
  const hooks = new Map<string, Set<AppendHook>>();
  const hooked = (streamId: string) => hooks.get(streamTypeOf(streamId));

  /** For `any`: holds the stream's row lock for the rest of the transaction and returns its version. */
  async function lockVersion(sql: Sql, streamId: string): Promise<number> {
    await sql.query(
      "INSERT INTO streams (stream_id, stream_type, version) VALUES ($1, $2, 0) ON CONFLICT (stream_id) DO NOTHING",
      [streamId, streamTypeOf(streamId)],
    );
    const rows = await sql.query<{ version: number }>(
      "SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE",
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  async function currentVersion(sql: Sql, streamId: string): Promise<number> {
    const rows = await sql.query<{ version: number }>("SELECT version FROM streams WHERE stream_id = $1", [
      streamId,
    ]);
    return rows[0]?.version ?? 0;
  }

  /**
   * The data and metadata as they are stored: the event's personal fields, and
   * the IP and user agent of an event about a person (its subject, or the user
   * who acted), sealed with that person's data key.
   */
  async function sealPersonal(
    sql: Sql,
    type: string,
    data: Record<string, unknown>,
    metadata: EventMetadata,
  ): Promise<{ data: Record<string, unknown>; metadata: EventMetadata }> {
    const pii = opts.pii;
    const spec = catalog.get(type).pii;
    const subject = spec ? spec.subject(data) : actorSubject(metadata.actor);
    if (!pii || !subject) return { data, metadata };
    const seal = (v: unknown) => (typeof v === "string" ? pii.seal(sql, subject, v) : v);
    const sealedData = { ...data };
    for (const f of spec?.fields ?? []) sealedData[f] = await seal(data[f]);
    const sealedMeta = { ...metadata };
    sealedMeta.ip = (await seal(metadata.ip)) as string | null;
    sealedMeta.userAgent = (await seal(metadata.userAgent)) as string | null;
    return { data: sealedData, metadata: sealedMeta };
  }

  const open = (sql: Sql, events: StoredEvent[], sealed?: boolean) =>
    opts.pii && !sealed ? opts.pii.open(sql, events) : events;

  /** Validates and builds the canonical envelopes (and the events as they will read back). */
  async function prepare(
    sql: Sql,
    streamId: string,
    base: number,
    events: readonly NewEvent[],
    metadata: EventMetadata,
  ): Promise<{ canon: string[]; stored: StoredEvent[] }> {
    const recordedAt = now();
    const iso = recordedAt.toISOString();
    const stored: StoredEvent[] = [];
    const canon: string[] = [];
    for (const [i, e] of events.entries()) {
      const { version, data } = catalog.validate(e.type, e.data);
      refuseUnstorableText(e.type, data, "data");
      // What is hashed must survive a round trip through jsonb unchanged.
      const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
      const envelope = {
        stream_id: streamId,
        stream_version: base + i + 1,
        event_id: e.eventId ?? newId(),
        type: e.type,
        schema_version: version,
        ...(await sealPersonal(sql, e.type, plain, metadata)),
        recorded_at: iso,
      };
      canon.push(canonicalEnvelope(envelope));
      stored.push({
        position: { txId: "0", id: 0 },
        streamId,
        streamVersion: envelope.stream_version,
        eventId: envelope.event_id,
        type: e.type,
        schemaVersion: version,
        data: plain,
        metadata,
        recordedAt,
      });
    }
    return { canon, stored };
  }

  /**
   * Validates, builds the canonical envelopes, and writes them with one call of
   * vigil_append: through `write` (the combiner, for appends that own their
   * transaction) or directly on `sql`.
   */
  async function appendOnce(
    sql: Sql,
    streamId: string,
    base: number,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    write: (a: CombinedAppend) => Promise<AppendRow> = (a) => appendOne(sql, a),
  ): Promise<AppendResult> {
    const { canon, stored } = await prepare(sql, streamId, base, events, metadata);
    let row: AppendRow;
    try {
      row = await write({ streamId, streamType: streamTypeOf(streamId), expected: base, canon });
    } catch (err) {
      throw translate(err, streamId, base);
    }
    const positioned = stored.map((s, i) => ({ ...s, position: { txId: row.tx_id, id: row.ids[i]! } }));
    return { version: row.version, headHash: row.head_hash, events: positioned };
  }

  async function applyInline(sql: Sql, events: readonly StoredEvent[]): Promise<void> {
    for (const e of events) {
      for (const p of inline) if (p.eventTypes.includes(e.type)) await p.apply(sql, e);
    }
  }

  const needsInline = (events: readonly NewEvent[]) =>
    inline.some((p) => events.some((e) => p.eventTypes.includes(e.type)));

  function checkInput(events: readonly NewEvent[], metadata: EventMetadata): void {
    if (events.length === 0) throw new RangeError("append needs at least one event");
    const m = metadataSchema.safeParse(metadata);
    if (!m.success) {
      throw new EventValidationError(
        "metadata",
        m.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      );
    }
    refuseUnstorableText("metadata", metadata, "metadata");
  }

  async function appendIn(
    sql: Sql,
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
  ): Promise<AppendResult> {
    checkInput(events, metadata);
    const base =
      expected === "no_stream" ? 0 : expected === "any" ? await lockVersion(sql, streamId) : expected;
    const result = await appendOnce(sql, streamId, base, events, metadata);
    await applyInline(sql, result.events);
    for (const hook of hooked(streamId) ?? []) await hook(streamId, result.version);
    return result;
  }

  async function append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
  ): Promise<AppendResult> {
    checkInput(events, metadata);
    // The common case is one statement; `any` and inline projections need a
    // transaction (a row lock to read the version under, or table writes).
    if (expected !== "any" && !needsInline(events) && !hooked(streamId)?.size) {
      // One autocommit statement, shared with concurrent appends of other streams
      // (events/combiner.ts): a commit point for the request's deadline (db/deadline.ts).
      return atCommitPoint(() =>
        appendOnce(db, streamId, expected === "no_stream" ? 0 : expected, events, metadata, (a) =>
          combiner.append(a),
        ),
      );
    }
    // `any` means the caller does not care where the stream stands, so losing a
    // race (a deadlock with a concurrent creator of the same stream) is retried.
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction((tx) => appendIn(tx, streamId, expected, events, metadata));
      } catch (err) {
        // Only a lost race is translated here: an inline projection's own errors
        // (a unique violation that means "email taken") reach the caller as they are.
        const e = isLostRace(err)
          ? new ConcurrencyError(streamId, String(expected), "lost a race on the stream")
          : err;
        if (e instanceof ConcurrencyError && expected === "any" && attempt < 5) continue;
        throw e;
      }
    }
  }

  async function readLog(sql: Sql, after: Position, o: ReadLogOptions): Promise<StoredEvent[]> {
    // Read order is (tx_id, id). Fenced reads stop below the oldest transaction
    // still running: ids are handed out before commit, so a plain `id > last`
    // would skip an event that commits after a later one.
    const params: unknown[] = [after.txId, after.id, o.limit ?? 1000];
    let where = "(tx_id, id) > ($1::xid8, $2::bigint)";
    if (o.fenced) where += " AND tx_id < pg_snapshot_xmin(pg_current_snapshot())";
    if (o.until) {
      params.push(o.until.txId, o.until.id);
      where += ` AND (tx_id, id) <= ($${params.length - 1}::xid8, $${params.length}::bigint)`;
    }
    if (o.types) {
      // Passed as text so both drivers send it unchanged.
      params.push(o.types.join(","));
      where += ` AND type = ANY(string_to_array($${params.length}::text, ','))`;
    }
    // Qualified: a bare `tx_id` in ORDER BY would be the text output column
    // (wrong order across digit counts, and a full sort instead of the index).
    const rows = await sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE ${where} ORDER BY events.tx_id, events.id LIMIT $3`,
      params,
    );
    return open(sql, rows.map(toStored), o.sealed);
  }

  return {
    catalog,
    append,
    appendIn,
    async appendVia(streamId, expected, events, metadata, write) {
      checkInput(events, metadata);
      if (hooked(streamId)?.size)
        throw new Error(`appendVia cannot run the before-commit hooks of ${streamId}`);
      return appendOnce(db, streamId, expected === "no_stream" ? 0 : expected, events, metadata, write);
    },
    streamVersion: (id) => currentVersion(db, id),
    open: async (events, sql) => open(sql ?? db, [...events]),
    async forget(sql, subject) {
      if (!opts.pii) throw new Error("this event store seals no personal data");
      await opts.pii.erase(sql, subject);
    },
    async readStream(streamId, o = {}) {
      const rows = await db.query<EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
        [streamId, (o.fromVersion ?? 1) - 1],
      );
      return open(db, rows.map(toStored));
    },
    readAll: (after, o = {}) => readLog(db, after, { ...o, fenced: true }),
    readLogIn: (sql, after, o = {}) => readLog(sql, after, o),
    beforeCommit(streamType, hook) {
      const set = hooks.get(streamType) ?? new Set<AppendHook>();
      hooks.set(streamType, set);
      set.add(hook);
      return () => set.delete(hook);
    },
  };
}

/**
 * The last line of defence behind the HTTP input rule: a string canonical JSON
 * cannot hash (a lone surrogate) or Postgres cannot store (NUL) is refused as
 * a typed EventValidationError naming the field, before anything is written.
 */
function refuseUnstorableText(eventType: string, value: unknown, root: string): void {
  const problem = findJsonTextProblem(value, root);
  if (problem) throw new EventValidationError(eventType, [problem]);
}

/**
 * A creator with `no_stream` and an `any` writer can deadlock on a new stream's
 * first rows; Postgres aborts one of them, which thereby lost the race.
 */
function isLostRace(err: unknown): boolean {
  const code = pgCode(err);
  return code === "40P01" || code === "40001";
}

function translate(err: unknown, streamId: string, base: number): unknown {
  const code = pgCode(err);
  if (code === "VG001") return new ConcurrencyError(streamId, base === 0 ? "no_stream" : String(base));
  // Two appends racing to create a stream, or a retried event id.
  if (code === "23505") return new ConcurrencyError(streamId, String(base), (err as Error).message);
  // A creator with `no_stream` and an `any` writer can deadlock on a new stream's
  // first rows; Postgres aborts one of them, which lost the race.
  if (code === "40P01" || code === "40001")
    return new ConcurrencyError(streamId, String(base), "lost a race on the stream");
  if (code === "22P05" || code === "22021") {
    return new EventValidationError("event", [
      { path: "", message: "text that Postgres cannot store (NUL byte)" },
    ]);
  }
  return err;
}
