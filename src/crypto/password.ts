/**
 * Argon2id password hashing off the event loop, PHC strings: native `argon2` when
 * its addon loads, else hash-wasm (same bytes, same PHC format). Native hashes run
 * in a niced child process on Node (hash-process.ts), else in a pool of niced
 * worker threads (worker-pool.ts): see hashRunner below.
 * Defaults follow OWASP / ASVS 5.0: m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte hash.
 *
 * Passwords are NFKC-normalised before hashing (NIST 800-63B 5.1.1.2), so the
 * same password typed on different keyboards/platforms verifies.
 */
import { createRequire } from "node:module";
import { availableParallelism, cpus } from "node:os";
import { currentDeadline } from "../../db/deadline.ts";
import { HashProcess } from "./hash-process.ts";
import { PoolBusyError, type PoolStats, type RunOptions, WorkerPool } from "./worker-pool.ts";

export { PoolBusyError };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** false for a wrong password or a malformed/unsupported PHC; rejects only on pool failure. */
  verify(phc: string, password: string): Promise<boolean>;
  /** true when the PHC was made with other parameters than the configured ones (or is unparseable). */
  needsRehash(phc: string): boolean;
  /**
   * Spends one verification on a dummy hash with the configured parameters and
   * resolves false: call it when the account does not exist, so unknown emails
   * cost the same time as known ones.
   */
  verifyAgainstDummy(password: string): Promise<false>;
  /** Which implementation computes argon2id. */
  readonly backend: HashBackend;
  /** Where it computes: a child process or worker threads of this one. */
  readonly runner: HashRunnerKind;
  stats(): PoolStats;
  /**
   * CPU time hashing has spent outside this process, in ms: the child process's
   * (0 with worker threads, whose time is this process's own). For benchmarks.
   */
  externalCpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** `auto`: native when its addon loads, else wasm (PASSWORD_HASH_BACKEND). */
export type HashBackendChoice = "auto" | "native" | "wasm";
export type HashBackend = "native" | "wasm";
export const HASH_BACKENDS: readonly HashBackendChoice[] = ["auto", "native", "wasm"];
/** `process`: one niced child process; `threads`: niced worker threads in this process. */
export type HashRunnerKind = "process" | "threads";

let nativeLoads: boolean | undefined;
/** Whether the native `argon2` addon loads in this runtime (checked once). */
export function nativeArgon2Available(): boolean {
  if (nativeLoads === undefined) {
    try {
      const mod = createRequire(import.meta.url)("argon2") as { hash?: unknown };
      nativeLoads = typeof mod.hash === "function";
    } catch {
      nativeLoads = false;
    }
  }
  return nativeLoads;
}

/** `native` throws when the addon does not load: asked for explicitly, a silent fallback would hide it. */
export function resolveHashBackend(choice: HashBackendChoice = "auto"): HashBackend {
  if (choice === "wasm") return "wasm";
  if (nativeArgon2Available()) return "native";
  if (choice === "native") throw new Error("PASSWORD_HASH_BACKEND=native but the argon2 addon does not load");
  return "wasm";
}

export interface PasswordHasherOptions {
  memoryKiB?: number;
  iterations?: number;
  parallelism?: number;
  /** Hashes at once (PASSWORD_HASH_WORKERS); default: defaultPoolSize for the runner. */
  poolSize?: number | undefined;
  /** Hashes that may wait for a worker before new ones are refused (PASSWORD_HASH_QUEUE). */
  maxQueued?: number | undefined;
  /** CPU niceness of the hashing child process or threads; 0 keeps normal priority. */
  workerNice?: number;
  /** PASSWORD_HASH_BACKEND; default auto. */
  backend?: HashBackendChoice | undefined;
  /** Where hashes run; default: hashRunner's choice (for tests and bench comparisons). */
  runner?: HashRunnerKind | undefined;
}

export const DEFAULT_ARGON2 = { memoryKiB: 19456, iterations: 2, parallelism: 1 } as const;
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;
/** Hashing work is proportional to input; longer inputs are refused (policy allows 128 code points). */
export const MAX_PASSWORD_BYTES = 4096;

/** A PHC with the default parameters whose password nobody knows (random, discarded). */
export const DUMMY_PHC =
  "$argon2id$v=19$m=19456,t=2,p=1$26trkGKTFLyZ1M6OWzYi9A$2nM0PnVuw0Qdgh7zoBavNIIy99VRS+/xfU02Hv+PSgo";

// Upper bounds on parameters we accept from a stored PHC, so a corrupted row
// cannot make one verification allocate gigabytes or spin for minutes.
const LIMITS = { memoryKiB: 1_048_576, iterations: 64, parallelism: 64 } as const;

export interface ParsedPhc {
  algorithm: "argon2id";
  version: number;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  saltBytes: number;
  hashBytes: number;
}

const PHC =
  /^\$argon2id\$v=(\d+)\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;

function b64Bytes(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

export function parsePhc(phc: string): ParsedPhc | null {
  if (typeof phc !== "string" || phc.length > 512) return null;
  const m = PHC.exec(phc);
  if (!m) return null;
  const parsed: ParsedPhc = {
    algorithm: "argon2id",
    version: Number(m[1]),
    memoryKiB: Number(m[2]),
    iterations: Number(m[3]),
    parallelism: Number(m[4]),
    saltBytes: b64Bytes(m[5]!),
    hashBytes: b64Bytes(m[6]!),
  };
  if (parsed.version !== 19) return null;
  if (parsed.iterations < 1 || parsed.iterations > LIMITS.iterations) return null;
  if (parsed.parallelism < 1 || parsed.parallelism > LIMITS.parallelism) return null;
  if (parsed.memoryKiB < 8 * parsed.parallelism || parsed.memoryKiB > LIMITS.memoryKiB) return null;
  if (parsed.saltBytes < 8 || parsed.hashBytes < 4) return null;
  return parsed;
}

/**
 * Where native argon2 runs: in a child process on Node, because it computes on
 * libuv's threadpool, which only a whole niced process keeps below the event loop
 * (a worker thread's niceness does not reach it). hash-wasm computes on the worker
 * thread itself, whose niceness applies, so it keeps the lighter thread pool. Deno
 * runs both in worker threads: its fork needs --allow-run and starts another Deno.
 */
export function hashRunner(backend: HashBackend): HashRunnerKind {
  return backend === "native" && !("Deno" in globalThis) ? "process" : "threads";
}

/** What both runners offer: a bounded queue in front of `size` hashes at a time. */
interface Runner {
  run<T>(msg: Record<string, unknown>, opts?: RunOptions): Promise<T>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/**
 * How many hashes run at once by default. Hashing runs at a lower CPU priority
 * (WORKER_NICE), so the event loop, Postgres and Redis are scheduled first
 * whenever they have work, and requests that need no hash (session checks) are
 * not queued behind a login flood.
 * - Worker threads (hash-wasm): one per core; hashing takes what is left.
 * - The child process (native argon2): one per core but one. argon2 is
 *   memory-hard (19 MiB a hash): with every core hashing, the caches and memory
 *   bandwidth it takes slow the request path whatever its priority (on 2 cores,
 *   /auth/me p99 17-28 ms beside 49-62 logins/s, against 14-15 ms beside 45-49
 *   with one hash at a time; docs/benchmarks.md "Logins").
 */
export function defaultPoolSize(runner: HashRunnerKind = "threads"): number {
  let cores: number;
  try {
    cores = availableParallelism();
  } catch {
    cores = cpus().length;
  }
  return Math.max(1, runner === "process" ? cores - 1 : cores);
}

/**
 * Niceness of the hashing child process or threads (PASSWORD_HASH_NICE). 10
 * rather than 19: a waking event loop still preempts them at once, and under
 * other sustained CPU work (jobs, an export) hashing keeps about a tenth of a
 * core instead of starving (at 19 it got under 2%, and logins timed out).
 */
export const WORKER_NICE = 10;
/**
 * Waiting hashes per worker before new ones are refused with 503. A verification
 * takes tens of milliseconds, so 32 per worker is a wait of a second or two:
 * past that a client is better told to retry than kept past the request timeout.
 */
export const QUEUE_PER_WORKER = 32;

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

const encoder = new TextEncoder();

function prepare(password: string): string | null {
  if (typeof password !== "string") return null;
  const normalised = password.normalize("NFKC");
  return encoder.encode(normalised).length > MAX_PASSWORD_BYTES ? null : normalised;
}

export function createPasswordHasher(opts: PasswordHasherOptions = {}): PasswordHasher {
  const parallelism = positiveInt("parallelism", opts.parallelism ?? DEFAULT_ARGON2.parallelism, 1);
  const iterations = positiveInt("iterations", opts.iterations ?? DEFAULT_ARGON2.iterations, 1);
  const memoryKiB = positiveInt("memoryKiB", opts.memoryKiB ?? DEFAULT_ARGON2.memoryKiB, 8 * parallelism);
  const backend = resolveHashBackend(opts.backend ?? "auto");
  const runner = opts.runner ?? hashRunner(backend);
  const poolSize = positiveInt("poolSize", opts.poolSize ?? defaultPoolSize(runner), 1);
  const maxQueued = positiveInt("maxQueued", opts.maxQueued ?? QUEUE_PER_WORKER * poolSize, 0);
  const nice = opts.workerNice ?? WORKER_NICE;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError("workerNice must be 0..19");
  const child =
    runner === "process"
      ? new HashProcess(new URL("./argon2-process.mjs", import.meta.url), poolSize, {
          maxQueued,
          nice,
          env: { VIGIL_HASH_BACKEND: backend },
        })
      : undefined;
  const pool: Runner =
    child ??
    new WorkerPool(new URL("./argon2-worker.mjs", import.meta.url), poolSize, {
      maxQueued,
      workerData: { nice, backend },
    });
  // A request that timed out no longer waits for its hash: drop it from the queue
  // (the request answers 503 with nothing committed either way).
  const run = <T>(msg: Record<string, unknown>) => pool.run<T>(msg, { signal: currentDeadline()?.signal });

  const isDefault =
    memoryKiB === DEFAULT_ARGON2.memoryKiB &&
    iterations === DEFAULT_ARGON2.iterations &&
    parallelism === DEFAULT_ARGON2.parallelism;
  let dummy: Promise<string> | undefined = isDefault ? Promise.resolve(DUMMY_PHC) : undefined;

  const hash = async (password: string): Promise<string> => {
    const prepared = prepare(password);
    if (prepared === null)
      throw new RangeError(`password must be a string of at most ${MAX_PASSWORD_BYTES} bytes`);
    return run<string>({
      op: "hash",
      password: prepared,
      memoryKiB,
      iterations,
      parallelism,
      saltLength: SALT_BYTES,
      hashLength: HASH_BYTES,
    });
  };

  const verify = async (phc: string, password: string): Promise<boolean> => {
    const prepared = prepare(password);
    if (prepared === null || parsePhc(phc) === null) return false;
    return (await run<boolean>({ op: "verify", phc, password: prepared })) === true;
  };

  return {
    hash,
    verify,
    needsRehash(phc) {
      const p = parsePhc(phc);
      if (!p) return true;
      return (
        p.memoryKiB !== memoryKiB ||
        p.iterations !== iterations ||
        p.parallelism !== parallelism ||
        p.hashBytes !== HASH_BYTES ||
        p.saltBytes < SALT_BYTES
      );
    },
    async verifyAgainstDummy(password) {
      // A random secret nobody knows, hashed once with the configured parameters.
      dummy ??= hash(crypto.randomUUID()).catch((error: unknown) => {
        dummy = undefined;
        throw error;
      });
      await verify(await dummy, typeof password === "string" ? password.slice(0, 1024) : "");
      return false;
    },
    backend,
    runner,
    stats: () => pool.stats(),
    externalCpuMs: () => child?.cpuMs() ?? Promise.resolve(0),
    close: () => pool.close(),
  };
}
