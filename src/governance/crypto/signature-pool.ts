/**
 * Vote signatures checked off the event loop. A vote's one expensive step is
 * elliptic-curve work (a secp256k1 public-key recovery, or an ed25519
 * verification); in a small pool of worker threads it runs on another core
 * while the event loop keeps serving HTTP and Postgres. The workers do only the
 * curve arithmetic (recover-worker.mjs): parsing, the EIP-2 low-s rule and the
 * address comparison stay here, in the same code the offline verifier uses.
 *
 * The answer never depends on where it was computed: when the pool cannot
 * answer (closed at shutdown, a worker crashed), the same check runs on the
 * calling thread instead of failing the vote.
 */
import { availableParallelism, cpus } from "node:os";
import { Worker } from "node:worker_threads";
import { addressOfPublicKey, type Recoverable, recoverable, recoverPublicKey } from "./ethereum.ts";
import { decodeSolana, verifyEd25519 } from "./solana.ts";

export interface SignatureChecker {
  /** The checksummed address that signed `hash`, or undefined (see ethereum.ts `recoverAddress`). */
  recoverAddress(hash: Uint8Array, signature: string): Promise<string | undefined>;
  /** Strict ed25519 over the message's UTF-8 bytes (see solana.ts `verifySolana`). */
  verifySolana(message: string, signature: string, address: string): Promise<boolean>;
}

/** The same checks on the calling thread (CLI, and the pool's fallback). */
export const inlineSignatures: SignatureChecker = {
  async recoverAddress(hash, signature) {
    const r = recoverable(hash, signature);
    const key = r && recoverPublicKey(r);
    return key && addressOfPublicKey(key);
  },
  async verifySolana(message, signature, address) {
    const d = decodeSolana(message, signature, address);
    return d ? verifyEd25519(d) : false;
  },
};

/** One worker fewer than the cores (at least one): the event loop keeps a core. */
export function defaultSignatureWorkers(): number {
  let cores: number;
  try {
    cores = availableParallelism();
  } catch {
    cores = cpus().length;
  }
  return Math.max(1, cores - 1);
}

export interface SignaturePool extends SignatureChecker {
  /** Starts the workers ahead of the first check (idle workers never keep the process alive). */
  warm(): void;
  close(): Promise<void>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Workers that each take any number of tasks at once (their message queue is
 * the queue), so a worker never sits idle waiting for the event loop to hand
 * it the next signature: on a busy machine that hand-over, one at a time, cost
 * more than the curve work. Tasks go to the worker with the fewest pending.
 */
class CurveWorkers {
  readonly #url = new URL("./recover-worker.mjs", import.meta.url);
  readonly #lanes: (Lane | undefined)[];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
    this.#lanes = Array.from({ length: size }, () => undefined);
  }

  run<T>(msg: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("signature pool is closed"));
    let best = 0;
    for (let i = 0; i < this.#lanes.length; i++) {
      const lane = this.#lanes[i];
      if (!lane) {
        best = i;
        break;
      }
      if (lane.pending.size < this.#lanes[best]!.pending.size) best = i;
    }
    const lane = this.#lanes[best] ?? this.#spawn(best);
    this.#lanes[best] = lane;
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      lane.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (lane.pending.size === 1) lane.worker.ref();
      lane.worker.postMessage({ ...msg, id });
    });
  }

  /** Starts every worker now, so the first votes do not wait for a worker to load. */
  warm(): void {
    if (this.#closed) return;
    for (let i = 0; i < this.#lanes.length; i++) this.#lanes[i] ??= this.#spawn(i);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const lanes = this.#lanes.splice(0).filter((l) => l !== undefined);
    await Promise.all(
      lanes.map((l) => {
        this.#fail(l, new Error("signature pool is closed"));
        return l.worker.terminate();
      }),
    );
  }

  #spawn(index: number): Lane {
    const lane: Lane = { worker: new Worker(this.#url), pending: new Map() };
    lane.worker.on("message", (reply: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const task = lane.pending.get(reply.id);
      if (!task) return;
      lane.pending.delete(reply.id);
      // An idle worker must not keep the process alive.
      if (lane.pending.size === 0) lane.worker.unref();
      if (reply.ok) task.resolve(reply.result);
      else task.reject(new Error(reply.error ?? "signature task failed"));
    });
    const fail = (error: Error) => {
      if (this.#lanes[index] === lane) this.#lanes[index] = undefined;
      this.#fail(lane, error);
      void lane.worker.terminate();
    };
    lane.worker.on("error", fail);
    lane.worker.on("exit", (code) => fail(new Error(`signature worker exited with code ${code}`)));
    lane.worker.unref();
    return lane;
  }

  #fail(lane: Lane, error: Error): void {
    for (const task of lane.pending.values()) task.reject(error);
    lane.pending.clear();
  }
}

export function signaturePool(size = defaultSignatureWorkers()): SignaturePool {
  const pool = new CurveWorkers(size);
  const recover = async (r: Recoverable): Promise<Uint8Array | undefined> => {
    try {
      const key = await pool.run<Uint8Array | null>({
        op: "secp256k1.recover",
        hash: r.hash,
        compact: r.compact,
        recovery: r.recovery,
      });
      return key ?? undefined;
    } catch {
      return recoverPublicKey(r);
    }
  };
  return {
    async recoverAddress(hash, signature) {
      const r = recoverable(hash, signature);
      if (!r) return undefined;
      const key = await recover(r);
      return key && addressOfPublicKey(key);
    },
    async verifySolana(message, signature, address) {
      const d = decodeSolana(message, signature, address);
      if (!d) return false;
      try {
        return (await pool.run<boolean>({ op: "ed25519.verify", ...d })) === true;
      } catch {
        return verifyEd25519(d);
      }
    },
    warm: () => pool.warm(),
    close: () => pool.close(),
  };
}

let shared: SignaturePool | undefined;

/**
 * The process's pool, started on first use. Workers start on demand and an
 * idle one does not keep the process alive, so every app in a process (tests
 * build many) can share it without closing it.
 */
export function sharedSignaturePool(): SignaturePool {
  if (!shared) {
    shared = signaturePool();
    shared.warm();
  }
  return shared;
}
