/**
 * One small seam over the two drivers Vigil runs on: postgres.js against a real
 * server, PGlite (Postgres in WASM) for the embedded default. Everything above it
 * speaks raw parameterised SQL through `Sql`, so the event store's hot path is a
 * single statement on either driver.
 */
import type { PGliteInterface } from "@electric-sql/pglite";
import postgres from "postgres";

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
  const connection: Record<string, string> = {
    application_name: "vigil",
    // A transaction left open stalls the gap-free read fence for every consumer.
    idle_in_transaction_session_timeout: String(opts.idleInTransactionTimeoutMs ?? 30_000),
  };
  if (opts.schema) connection.search_path = `"${opts.schema}",public`;
  const sql = postgres(opts.url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    types: { int8 },
    connection,
  });
  const wrap = (s: postgres.Sql | postgres.TransactionSql | postgres.ReservedSql): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const rows = await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
      return rows as unknown as T[];
    },
  });
  const base = wrap(sql);
  return {
    kind: "postgres",
    query: base.query,
    async transaction(fn) {
      return (await sql.begin((tx) => fn(wrap(tx)))) as Awaited<ReturnType<typeof fn>>;
    },
    async reserve(fn) {
      const conn = await sql.reserve();
      try {
        return await fn(wrap(conn));
      } finally {
        conn.release();
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
  const wrap = (q: Q): Sql => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await q.query<T>(text, params as unknown[])).rows;
    },
  });
  const base = wrap(pg);
  // PGlite runs one statement at a time; a session lock is held by "the" connection.
  return {
    kind: "pglite",
    query: base.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
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

/** True when an error is Postgres's unique_violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return pgCode(err) === "23505";
}

/** The SQLSTATE of a driver error, whichever driver raised it. */
export function pgCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}
