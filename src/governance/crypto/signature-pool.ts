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
import { WorkerPool } from "../../crypto/worker-pool.ts";
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
  close(): Promise<void>;
}

export function signaturePool(size = defaultSignatureWorkers()): SignaturePool {
  const pool = new WorkerPool(new URL("./recover-worker.mjs", import.meta.url), size);
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
  shared ??= signaturePool();
  return shared;
}
