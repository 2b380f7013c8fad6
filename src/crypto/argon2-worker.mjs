// Argon2id in a worker thread, so hashing never blocks the event loop: the hash-wasm
// backend everywhere, and native argon2 where the hashing child process is not
// available (Deno). Messages: { id, op, ... } (see argon2-compute.mjs).
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { createArgon2 } from "./argon2-compute.mjs";

if (!parentPort) throw new Error("argon2-worker must run as a worker thread");
const port = parentPort;

// Hashing runs at a lower CPU priority than the event loop, Postgres and Redis, so
// the pool may use every core and the request path still runs first when it has
// work. On Linux, setpriority(0) applies to the calling thread only (threads are
// scheduled tasks); elsewhere it may apply to the process or be refused: then the
// worker runs at normal priority rather than slowing the whole process down.
// Native argon2 computes on libuv's threadpool, not on this thread: the niceness
// then only applies to the wasm backend (see docs/identity.md).
const nice = Number(workerData?.nice ?? 0);
if (nice > 0 && process.platform === "linux") {
  try {
    setPriority(0, nice);
  } catch {
    // not permitted or not supported: normal priority
  }
}

const run = createArgon2(workerData?.backend);

port.on("message", (msg) => {
  run(msg).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (error) => port.postMessage({ id: msg.id, ok: false, error: String(error?.message ?? error) }),
  );
});
