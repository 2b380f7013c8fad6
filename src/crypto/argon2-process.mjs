// Argon2id in a child process of its own (Node), every thread of it at a lower CPU
// priority: native argon2 computes on libuv's threadpool, which in the server's own
// process would run at normal priority (a worker thread's niceness does not reach
// it). Here the whole process is niced, threadpool included, so the server's event
// loop, Postgres and Redis are scheduled first whenever they have work.
// Started by hash-process.ts with fork(); messages over the IPC channel:
// { id, op, ... } (see argon2-compute.mjs, plus "priorities" and "cpu" below).
import { readdirSync, writeFileSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import process from "node:process";
import { createArgon2 } from "./argon2-compute.mjs";

if (!process.send) throw new Error("argon2-process must be started with an IPC channel (fork)");

const nice = Number(process.env.VIGIL_HASH_NICE ?? 0);

/** Thread ids of this process on Linux (each one is scheduled, and niced, on its own). */
function threadIds() {
  try {
    return readdirSync("/proc/self/task").map(Number);
  } catch {
    return [];
  }
}

// Linux: setpriority applies per thread, so every thread that exists is reniced
// (V8's platform threads start before this code runs), and the threads started
// later (libuv's threadpool, on the first hash) inherit the main thread's niceness.
// Elsewhere setpriority(0) applies to the whole process. Refused: normal priority.
function lowerPriority() {
  if (nice <= 0) return;
  for (const tid of process.platform === "linux" ? threadIds() : [0]) {
    try {
      if (getPriority(tid) < nice) setPriority(tid, nice);
    } catch {
      // not permitted, or the thread has exited
    }
  }
}
lowerPriority();

// With autogroup scheduling (Linux desktops and many servers), a thread's niceness
// only orders it within its session's group, and each group gets an equal share
// of a contended CPU: niced hashes would still take half a core from Postgres or
// Redis. The parent starts this process in a session of its own (detached), so it
// has an autogroup of its own, niced here as a whole.
if (nice > 0 && process.platform === "linux") {
  try {
    writeFileSync("/proc/self/autogroup", String(nice));
  } catch {
    // no autogroup support (or not permitted): thread niceness alone
  }
}

const compute = createArgon2(process.env.VIGIL_HASH_BACKEND);
let reniced = false;

async function run(msg) {
  if (msg.op === "priorities") return threadIds().map((tid) => getPriority(tid));
  if (msg.op === "cpu") {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  const result = await compute(msg);
  // Belt and braces: should the threadpool have started from a thread that was not
  // niced, the first finished hash renices it.
  if (!reniced) {
    reniced = true;
    lowerPriority();
  }
  return result;
}

// The server may be gone by the time a hash is done (the channel then fails to write):
// nobody is left to answer, so this process leaves too.
const reply = (message) => process.send?.(message, undefined, {}, (error) => error && process.exit(0));

process.on("message", (msg) => {
  run(msg).then(
    (result) => reply({ id: msg.id, ok: true, result }),
    (error) => reply({ id: msg.id, ok: false, error: String(error?.message ?? error) }),
  );
});
// The server went away (or closed the pool): nothing is left to hash for.
process.on("disconnect", () => process.exit(0));
