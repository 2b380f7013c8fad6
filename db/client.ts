/**
 * One small seam over the two drivers Vigil runs on: postgres.js against a real
 * server, PGlite (Postgres in WASM) for the embedded default. Everything above it
 * speaks raw parameterised SQL through `Sql`, so the event store's hot path is a
 * single statement on either driver.
 */
import type { PGliteInterface } from "@electric-sql/pglite";
import postgres from "postgres";
import { guardDeadSocketWrites } from "./dead-socket-write.ts";
import { currentDeadline, type Deadline, DeadlineExceededError } from "./deadline.ts";

export type Row = Record<string, unknown>;

export interface Sql {
  /** Runs one parameterised statement ($1, $2 …) and returns its rows. */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Sql {
  readonly kind: "postgres" | "pglite";
  /** A transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** One dedicated connection for the length of `fn` (session advisory locks need one). */
  reserve<T>(fn: (conn: Sql) => Promise<T>): Promise<T>;
  /** LISTEN on a channel (NOTIFY's payload to `fn`); resolves to the unlisten function. */
  listen?(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  url: string;
  max?: number;
  /** Schema to put first on the search_path: tests isolate themselves this way. */
  schema?: string;
  idleInTransactionTimeoutMs?: number;
  /** Seconds to wait for a connection to open (default 5): a server that is down must fail fast. */
  connectTimeoutSeconds?: number;
  /** Seconds an idle connection is kept (default 60). */
  idleTimeoutSeconds?: number;
}

// int8 comes back as a JS number (versions, counts and ids stay far below 2^53);
// xid8 (transaction ids) stays a string and is only ever compared inside SQL.
const int8 = {
  to: 20,
  from: [20],
  serialize: (v: unknown) => String(v),
  parse: (v: string) => Number(v),
};

export function createPostgresDb(opts: PostgresOptions): Db {
  guardDeadSocketWrites();
  const connection: Record<string, string> = {
    application_name: "vigil",
    // A transaction left open stalls the gap-free read fence for every consumer.
    idle_in_transaction_session_timeout: String(opts.idleInTransactionTimeoutMs ?? 30_000),
  };
  if (opts.schema) connection.search_path = `"${opts.schema}",public`;
  const options = {
    onnotice: () => {},
    types: { int8 },
    connection,
    // After a restart the pool must not sit on dead sockets or wait out a long
    // connect: a refused or reset connection errors at once and is replaced on
    // the next query; idle ones are closed before a NAT or proxy drops them.
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    idle_timeout: opts.idleTimeoutSeconds ?? 60,
    keep_alive: 30,
    // postgres.js waits before reconnecting, by default 3^failures/100 s shared by
    // the whole pool (up to 20 s): after a restart, requests queued behind that
    // wait hung for seconds although the server was back. Capped at 250 ms, a
    // request during an outage fails fast (503) and the first one after it connects.
    backoff: reconnectDelaySeconds,
  };
  const sql = postgres(opts.url, { ...options, max: opts.max ?? 10 });
  const wrap = (s: postgres.Sql | postgres.TransactionSql | postgres.ReservedSql): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const run = () => s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      return (await underDeadline(currentDeadline(), run)) as unknown as T[];
    },
  });
  const base = wrap(sql);
  return {
    kind: "postgres",
    query: base.query,
    async transaction(fn) {
      const deadline = currentDeadline();
      if (!deadline) return (await sql.begin((tx) => fn(wrap(tx)))) as Awaited<ReturnType<typeof fn>>;
      deadline.check();
      let settle: ((committed: boolean) => void) | undefined;
      try {
        const result = await sql.begin(async (tx) => {
          const out = await fn(wrap(tx));
          // Last chance to roll back: past the deadline, this throws and nothing commits.
          settle = deadline.enterCommit();
          return out;
        });
        settle?.(true);
        return result as Awaited<ReturnType<typeof fn>>;
      } catch (err) {
        settle?.(false);
        throw deadline.expired && !(err instanceof DeadlineExceededError)
          ? new DeadlineExceededError({ cause: err })
          : err;
      }
    },
    async reserve(fn) {
      // A session of its own, one connection that is never replaced, instead of
      // postgres.js's reserve(): a reserved connection whose socket closed (the
      // backend killed, a failover) still takes queries, which then throw outside
      // any promise (an uncaught TypeError) or never settle. The long-lived loops
      // that reserve (sequencer, consumers, fan-out) hold advisory locks on this
      // session, so once it is gone every query must fail: the loop notices and
      // reserves again, on a new session that has to take the lock anew.
      let lost: Error | null = null;
      const own = postgres(opts.url, {
        ...options,
        max: 1,
        idle_timeout: 0,
        max_lifetime: 0,
        onclose: () => {
          lost ??= new Error("the reserved database session was closed");
        },
      });
      const session = wrap(own);
      try {
        return await fn({
          query(text, params) {
            if (lost) return Promise.reject(lost);
            return session.query(text, params);
          },
        });
      } finally {
        // A lost session has nothing to finish; waiting on it would only stall the loop.
        const ending = own.end({ timeout: lost ? 0 : 5 }).catch(() => {});
        if (!lost) await ending;
      }
    },
    async listen(channel, fn) {
      // postgres.js keeps one extra connection for LISTEN and re-listens after a reconnect.
      const meta = await sql.listen(channel, fn);
      return () => meta.unlisten();
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

/** Seconds before the pool's next connection attempt after `failures` failed ones: 25 ms doubling, at most 250 ms, jittered. */
export function reconnectDelaySeconds(failures: number): number {
  return Math.min(0.025 * 2 ** failures, 0.25) * (0.5 + Math.random() / 2);
}

/**
 * Runs one statement under the request's deadline: refused once it has passed,
 * cancelled on the server when it passes meanwhile (the cancel's 57014 becomes
 * DeadlineExceededError).
 */
async function underDeadline<T>(
  deadline: Deadline | undefined,
  run: () => Promise<T> & { cancel?: () => unknown },
): Promise<T> {
  if (!deadline) return run();
  deadline.check();
  const pending = run();
  const done = deadline.whileRunning(() => {
    Promise.resolve(pending.cancel?.()).catch(() => {});
  });
  try {
    return await pending;
  } catch (err) {
    throw deadline.expired ? new DeadlineExceededError({ cause: err }) : err;
  } finally {
    done();
  }
}

/**
 * PGlite is a single connection: transactions are serialised by the library, and
 * advisory locks exclude nothing. That is fine for the embedded default and for
 * fast tests; concurrency is proven against real Postgres.
 */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const { PGlite } = await import("@electric-sql/pglite");
  return wrapPglite(await PGlite.create(dataDir ? { dataDir } : undefined));
}

export function wrapPglite(pg: PGliteInterface): Db {
  type Q = { query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }> };
  // PGlite cannot cancel a statement it is running (it runs on this thread), but
  // the deadline still refuses new statements and a commit after it passed.
  const wrap = (q: Q): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      currentDeadline()?.check();
      try {
        return (await q.query<T>(text, params as unknown[])).rows;
      } catch (err) {
        throw pgliteError(err);
      }
    },
  });
  const base = wrap(pg);
  // PGlite runs one statement at a time; a session lock is held by "the" connection.
  return {
    kind: "pglite",
    query: base.query,
    async transaction(fn) {
      const deadline = currentDeadline();
      deadline?.check();
      let settle: ((committed: boolean) => void) | undefined;
      try {
        const result = await pg.transaction(async (tx) => {
          const out = await fn(wrap(tx));
          settle = deadline?.enterCommit();
          return out;
        });
        settle?.(true);
        return result;
      } catch (err) {
        settle?.(false);
        throw pgliteError(err);
      }
    },
    reserve: (fn) => fn(base),
    async listen(channel, fn) {
      const unlisten = await pg.listen(channel, fn);
      return () => unlisten();
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}

/** PGlite's own "closed" errors carry no code; give them one the error mapping knows. */
function pgliteError(err: unknown): unknown {
  if (
    err instanceof Error &&
    !pgCode(err) &&
    /^PGlite (is closed|is closing|failed to initialize)/.test(err.message)
  )
    return Object.assign(new Error(err.message, { cause: err }), { code: "PGLITE_CLOSED" });
  return err;
}

/** True when an error is Postgres's unique_violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return pgCode(err) === "23505";
}

/** The SQLSTATE of a driver error, whichever driver raised it. */
export function pgCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/**
 * SQLSTATEs and driver codes that mean "the database cannot be reached or is
 * not accepting work right now", as opposed to "this request is wrong": the
 * client should retry later (HTTP 503), and the pool replaces the connection.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown: the server is shutting down (smart/fast/immediate)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
  "57P05", // idle_session_timeout
  "53300", // too_many_connections
  "25P03", // idle_in_transaction_session_timeout ended the connection
]);

const UNAVAILABLE_DRIVER_CODES = new Set([
  // postgres.js
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // Node sockets
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  // PGlite (see wrapPglite)
  "PGLITE_CLOSED",
]);

/** True when `err` (or an error it wraps) means the database is unreachable or refusing work. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 4) return false;
  const code = pgCode(err);
  if (
    code &&
    (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08") || UNAVAILABLE_DRIVER_CODES.has(code))
  )
    return true;
  // Node reports a refused dual-stack connect as an AggregateError of both attempts.
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1)))
    return true;
  return "cause" in err && isDatabaseUnavailable(err.cause, depth + 1);
}
