// Argon2id in a worker thread, so hashing never blocks the event loop.
// Plain JavaScript on purpose: a worker started from tsx, vitest or Deno needs
// no TypeScript loader this way. Messages: { id, op: "hash" | "verify" | "priority", ... }.
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { argon2id, argon2Verify } from "hash-wasm";

if (!parentPort) throw new Error("argon2-worker must run as a worker thread");
const port = parentPort;

// Hashing runs at a lower CPU priority than the event loop, Postgres and Redis, so
// the pool may use every core and the request path still runs first when it has
// work. On Linux, setpriority(0) applies to the calling thread only (threads are
// scheduled tasks); elsewhere it may apply to the process or be refused: then the
// worker runs at normal priority rather than slowing the whole process down.
const nice = Number(workerData?.nice ?? 0);
if (nice > 0 && process.platform === "linux") {
  try {
    setPriority(0, nice);
  } catch {
    // not permitted or not supported: normal priority
  }
}

async function run(msg) {
  if (msg.op === "hash") {
    return argon2id({
      password: msg.password,
      salt: crypto.getRandomValues(new Uint8Array(msg.saltLength)),
      memorySize: msg.memoryKiB,
      iterations: msg.iterations,
      parallelism: msg.parallelism,
      hashLength: msg.hashLength,
      outputType: "encoded",
    });
  }
  if (msg.op === "verify") {
    try {
      return await argon2Verify({ password: msg.password, hash: msg.phc });
    } catch {
      return false;
    }
  }
  if (msg.op === "priority") return getPriority(0);
  throw new Error(`unknown op ${String(msg.op)}`);
}

port.on("message", (msg) => {
  run(msg).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (error) => port.postMessage({ id: msg.id, ok: false, error: String(error?.message ?? error) }),
  );
});
