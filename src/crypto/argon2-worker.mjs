// Argon2id in a worker thread, so hashing never blocks the event loop.
// Plain JavaScript on purpose: a worker started from tsx, vitest or Deno needs
// no TypeScript loader this way. Messages: { id, op: "hash" | "verify", ... }.
import { parentPort } from "node:worker_threads";
import { argon2id, argon2Verify } from "hash-wasm";

if (!parentPort) throw new Error("argon2-worker must run as a worker thread");
const port = parentPort;

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
  throw new Error(`unknown op ${String(msg.op)}`);
}

port.on("message", (msg) => {
  run(msg).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (error) => port.postMessage({ id: msg.id, ok: false, error: String(error?.message ?? error) }),
  );
});
