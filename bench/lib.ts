/**
 * Small helpers shared by the benchmarks: configuration, bounded concurrent
 * loops, and printing. Every loop here stops by itself (a deadline or a count).
 */
import { createPostgresDb, type Db, pgCode } from "../db/client.ts";
import { createCatalog } from "../events/catalog/index.ts";
import { createPiiCipher } from "../events/pii.ts";
import { createEventStore, type EventStore } from "../events/store.ts";
import type { EventMetadata } from "../events/types.ts";
import { inlineProjections } from "../projections/index.ts";
import type { Feature } from "../src/app.ts";
import type { AuthDeps } from "../src/auth/deps.ts";
import { masterKeyring } from "../src/auth/services.ts";
import { type Config, loadConfig } from "../src/config.ts";
import { createRouter } from "../src/http/router.ts";
import { userStream } from "../src/identity/user.ts";
import { Metrics } from "../src/observability/metrics.ts";

export interface BenchContext {
  /** A fresh, migrated schema of its own; run.ts drops it afterwards. */
  readonly db: Db;
  readonly url: string;
  readonly schema: string;
  /** Connections in `db`'s pool. */
  readonly pool: number;
  /** Concurrent workers for the concurrent phases. */
  readonly writers: number;
  /** Measured length of a timed phase, after `warmupSeconds`. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  log(message: string): void;
}

export interface ResultRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value >= min, value <= max (latencies) and value / baseline >= ratio, each when given, passes. */
  readonly target?: { readonly min?: number; readonly max?: number; readonly ratio?: number };
  readonly note?: string;
}

export interface BenchModule {
  readonly description: string;
  run(ctx: BenchContext): Promise<ResultRow[]>;
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

export const now = (): number => performance.now();

export interface Measure {
  /** Operations completed inside the measured window. */
  ops: number;
  /** Units (events, rows) those operations reported. */
  units: number;
  seconds: number;
  opsPerSec: number;
  unitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs `workers` loops of `op` for `warmupSeconds + seconds`; counts what
 * completes inside the last `seconds`. `op` returns how many units it did.
 * No new operation starts after the deadline; the first error stops all loops.
 */
export async function runFor(opts: {
  workers: number;
  seconds: number;
  warmupSeconds: number;
  op: (worker: number, iteration: number) => Promise<number>;
}): Promise<Measure> {
  const start = now();
  const from = start + opts.warmupSeconds * 1000;
  const until = from + opts.seconds * 1000;
  let ops = 0;
  let units = 0;
  let failed = false;
  const latencies: number[] = [];
  const loop = async (w: number) => {
    try {
      for (let i = 0; !failed && now() < until; i++) {
        const t0 = now();
        const n = await opts.op(w, i);
        const t1 = now();
        if (t1 >= from && t1 <= until) {
          ops++;
          units += n;
          latencies.push(t1 - t0);
        }
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, (_, w) => loop(w)));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    ops,
    units,
    seconds: opts.seconds,
    opsPerSec: ops / opts.seconds,
    unitsPerSec: units / opts.seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  };
}

/** Runs `op(i)` for i in [0, total) on `workers` concurrent loops; returns the seconds taken. */
export async function runCount(opts: {
  workers: number;
  total: number;
  op: (index: number) => Promise<void>;
}): Promise<number> {
  const start = now();
  let next = 0;
  let failed = false;
  const loop = async () => {
    try {
      while (!failed && next < opts.total) await opts.op(next++);
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, loop));
  return (now() - start) / 1000;
}

/** Times one async call; returns its result and the seconds it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = now();
  const result = await fn();
  return { result, seconds: (now() - start) / 1000 };
}

const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return intFmt.format(n);
}

export function fmtRatio(value: number, baseline: number): string {
  return baseline > 0 ? `${(value / baseline).toFixed(2)}x` : "-";
}

export function fmtMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

function passes(r: ResultRow): boolean | undefined {
  if (!r.target) return undefined;
  let ok = true;
  if (r.target.min !== undefined) ok &&= r.value >= r.target.min;
  if (r.target.max !== undefined) ok &&= r.value <= r.target.max;
  if (r.target.ratio !== undefined && r.baseline) ok &&= r.value / r.baseline.value >= r.target.ratio;
  return ok;
}

function targetText(r: ResultRow): string {
  const parts: string[] = [];
  if (r.target?.min !== undefined) parts.push(`>= ${fmtInt(r.target.min)}`);
  if (r.target?.max !== undefined) parts.push(`<= ${fmtInt(r.target.max)}`);
  if (r.target?.ratio !== undefined) parts.push(`ratio >= ${r.target.ratio}`);
  return parts.join(", ") || "-";
}

/** A plain-text table: one line per result, baseline and ratio beside it. */
export function formatTable(rows: readonly ResultRow[]): string {
  const header = ["benchmark", "result", "baseline", "ratio", "target", "ok"];
  const body = rows.map((r) => {
    const ok = passes(r);
    return [
      r.name,
      `${fmtInt(r.value)} ${r.unit}`,
      r.baseline ? `${fmtInt(r.baseline.value)} (${r.baseline.name})` : "-",
      r.baseline ? fmtRatio(r.value, r.baseline.value) : "-",
      targetText(r),
      ok === undefined ? "" : ok ? "yes" : "NO",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const b of body) out.push(line(b));
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  if (notes.length) out.push("", ...notes);
  return out.join("\n");
}

/**
 * The event store as the runtime builds it (src/runtime.ts): inline
 * projections and personal data sealed per person, so a benchmark pays what
 * production pays for every append and read.
 */
export async function appStore(db: Db, config: Config, clock: { now(): Date }): Promise<EventStore> {
  return createEventStore({
    db,
    catalog: createCatalog(),
    inline: inlineProjections(),
    pii: createPiiCipher(await masterKeyring(config)),
    now: clock.now,
  });
}

/**
 * The dependencies an HTTP benchmark's app gets: what the caller built, plus
 * the parts every benchmark sets the same way (fresh metrics without the
 * default process collectors, the default request ids, no readiness checks).
 */
export function benchDeps(
  parts: Pick<AuthDeps, "config" | "db" | "store" | "logger" | "clock" | "auth" | "rateLimiter">,
): AuthDeps {
  return {
    ...parts,
    metrics: new Metrics({ defaultMetrics: false }),
    readiness: [],
  };
}

/** Event metadata of what a benchmark sets up itself (no request behind it). */
export const BENCH_META: EventMetadata = {
  actor: "system:bench",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: null,
  causationId: null,
};

/** GET /v1/bench/hello behind Vigil's whole global middleware stack: the per-request tax's baseline. */
export const helloFeature: Feature = (app) => {
  const r = createRouter();
  r.get("/hello", (c) => c.json({ hello: "world" }));
  app.route("/v1/bench", r);
};

/** Registers a user through the log, as registration would, with a hash made beforehand. */
export async function registerUser(
  store: EventStore,
  user: { userId: string; email: string; passwordHash: string },
): Promise<void> {
  await store.append(
    userStream(user.userId),
    "no_stream",
    [{ type: "UserRegistered", data: { ...user, displayName: null, roles: ["user"] } }],
    BENCH_META,
  );
}

/**
 * Configuration for the identity benchmarks: real Redis under a fresh prefix,
 * and rate limits far above the load, so that every response is 2xx and the
 * figure is what the limiter's calls cost, not its refusals.
 */
export function unlimitedConfig(
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Config {
  return loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `${prefix}-${crypto.randomUUID().slice(0, 8)}`,
    RATE_LIMIT_IP_PER_MINUTE: "1000000000",
    RATE_LIMIT_IP_PER_HOUR: "1000000000",
    RATE_LIMIT_LOGIN_PER_MINUTE: "1000000",
    RATE_LIMIT_USER_PER_MINUTE: "1000000000",
    RATE_LIMIT_STORE_TIMEOUT_MS: "2000",
    ...extra,
  });
}

/**
 * Creates the benchmark database when the server does not have it yet (the
 * README promises `npm run bench` works on a fresh server). It connects to the
 * server's `postgres` maintenance database for that, as `createdb` does.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const probe = createPostgresDb({ url, max: 1 });
  try {
    await probe.query("SELECT 1");
    return;
  } catch (err) {
    if (pgCode(err) !== "3D000") throw err; // invalid_catalog_name: "database … does not exist"
  } finally {
    await probe.close();
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error("BENCH_DATABASE_URL names no database");
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = createPostgresDb({ url: maintenance.href, max: 1 });
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    console.log(`created database "${name}" for the benchmarks`);
  } catch (err) {
    // Another run created it meanwhile: fine.
    if (pgCode(err) !== "42P04") {
      throw new Error(
        `database "${name}" does not exist and could not be created (${(err as Error).message}); ` +
          `create it with \`createdb ${name}\` or point BENCH_DATABASE_URL at one that exists`,
      );
    }
  } finally {
    await admin.close();
  }
}
