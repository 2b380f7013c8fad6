// Argon2id in a worker thread, so hashing never blocks the event loop.
// Plain JavaScript on purpose: a worker started from tsx, vitest or Deno needs
// no TypeScript loader this way. Messages: { id, op: "hash" | "verify" | "priority" | "backend", ... }.
//
// Two backends compute the same raw argon2id output: native `argon2` (about 4x less
// CPU per hash) when its addon loads, else hash-wasm. Both get Vigil's own salt and
// return raw bytes; this file writes and reads the PHC string itself, so a hash made
// by one backend verifies with the other.
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { argon2id } from "hash-wasm";

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

// The main thread decided which backend to use (it loaded the addon itself first);
// should the addon fail to load here anyway, hash-wasm computes the same bytes.
let native = null;
if (workerData?.backend === "native") {
  try {
    native = createRequire(import.meta.url)("argon2");
  } catch {
    native = null;
  }
}

function rawArgon2id(password, salt, p) {
  if (native) {
    return native
      .hash(password, {
        raw: true,
        type: native.argon2id,
        salt: Buffer.from(salt),
        memoryCost: p.memoryKiB,
        timeCost: p.iterations,
        parallelism: p.parallelism,
        hashLength: p.hashLength,
      })
      .then((buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }
  return argon2id({
    password,
    salt,
    memorySize: p.memoryKiB,
    iterations: p.iterations,
    parallelism: p.parallelism,
    hashLength: p.hashLength,
    outputType: "binary",
  });
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

// The format hash-wasm and the reference implementation write (unpadded base64).
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

async function verify(phc, password) {
  // The caller validated the PHC (parsePhc: version, bounded parameters); this only reads it.
  const m = PHC.exec(phc);
  if (!m) return false;
  const expected = Buffer.from(m[5], "base64");
  const actual = await rawArgon2id(password, new Uint8Array(Buffer.from(m[4], "base64")), {
    memoryKiB: Number(m[1]),
    iterations: Number(m[2]),
    parallelism: Number(m[3]),
    hashLength: expected.length,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

async function run(msg) {
  if (msg.op === "hash") {
    const salt = crypto.getRandomValues(new Uint8Array(msg.saltLength));
    const p = {
      memoryKiB: msg.memoryKiB,
      iterations: msg.iterations,
      parallelism: msg.parallelism,
      hashLength: msg.hashLength,
    };
    const raw = await rawArgon2id(msg.password, salt, p);
    return `$argon2id$v=19$m=${p.memoryKiB},t=${p.iterations},p=${p.parallelism}$${b64(salt)}$${b64(raw)}`;
  }
  if (msg.op === "verify") {
    try {
      return await verify(msg.phc, msg.password);
    } catch {
      return false;
    }
  }
  if (msg.op === "priority") return getPriority(0);
  if (msg.op === "backend") return native ? "native" : "wasm";
  throw new Error(`unknown op ${String(msg.op)}`);
}

port.on("message", (msg) => {
  run(msg).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (error) => port.postMessage({ id: msg.id, ok: false, error: String(error?.message ?? error) }),
  );
});
