/**
 * Native argon2 in a child process of its own, niced as a whole: which runner
 * each backend gets, the child's priority (every thread, and its autogroup on
 * Linux), a crashed child, close, and an idle child not holding a CLI open.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HashProcess } from "./hash-process.ts";
import { createPasswordHasher, hashRunner, WORKER_NICE } from "./password.ts";
import { HasherLostError } from "./worker-pool.ts";

const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const CHILD = new URL("./argon2-process.mjs", import.meta.url);

const exited = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("hashing child process", () => {
  const opened: HashProcess[] = [];
  afterAll(() => Promise.all(opened.map((p) => p.close())));
  const open = (concurrency: number, nice: number) => {
    const p = new HashProcess(CHILD, concurrency, { nice, env: { VIGIL_HASH_BACKEND: "native" } });
    opened.push(p);
    return p;
  };
  const hashMsg = (password: string, cost = FAST) => ({
    op: "hash",
    password,
    ...cost,
    saltLength: 16,
    hashLength: 32,
  });

  it("runs native argon2 in a child process on Node, hash-wasm in worker threads", async () => {
    expect(hashRunner("native")).toBe("process");
    expect(hashRunner("wasm")).toBe("threads");
    const nat = createPasswordHasher({ ...FAST, poolSize: 1, backend: "native" });
    const wasm = createPasswordHasher({ ...FAST, poolSize: 1, backend: "wasm" });
    try {
      expect(nat.runner).toBe("process");
      expect(wasm.runner).toBe("threads");
      const phc = await nat.hash("pw-1234567890");
      expect(await wasm.verify(phc, "pw-1234567890")).toBe(true);
      // The child's hashing time is its own, reported beside this process's.
      expect(await nat.externalCpuMs()).toBeGreaterThan(0);
      expect(await wasm.externalCpuMs()).toBe(0);
    } finally {
      await Promise.all([nat.close(), wasm.close()]);
    }
    const child = open(1, 0);
    expect(await child.run<string>({ op: "backend" })).toBe("native");
    expect(child.pid).not.toBe(process.pid);
  });

  it.runIf(process.platform === "linux")(
    "lowers every thread of the child, and its autogroup, leaving this process as it was",
    async () => {
      const before = getPriority(0);
      const groupBefore = readFileSync("/proc/self/autogroup", "utf8");
      const child = open(2, WORKER_NICE);
      await Promise.all([child.run(hashMsg("first-password")), child.run(hashMsg("second-password"))]);
      const priorities = await child.priorities();
      // The main thread, V8's threads and libuv's threadpool (which computes the hashes).
      expect(priorities.length).toBeGreaterThan(4);
      expect(new Set(priorities)).toEqual(new Set([WORKER_NICE]));
      const group = readFileSync(`/proc/${child.pid}/autogroup`, "utf8");
      expect(group).toMatch(new RegExp(`nice ${WORKER_NICE}\\s*$`));
      expect(group.split(" ")[0]).not.toBe(groupBefore.split(" ")[0]);
      expect(getPriority(0)).toBe(before);
      expect(readFileSync("/proc/self/autogroup", "utf8")).toBe(groupBefore);
    },
  );

  it("a child that dies fails the hashes it was running; the next hash starts a new child", async () => {
    const child = open(1, 0);
    await child.run(hashMsg("warm-up-password"));
    const first = child.pid!;
    const running = child.run(
      hashMsg("running-password", { memoryKiB: 19456, iterations: 2, parallelism: 1 }),
    );
    // The hash was handed to that very child (not queued for a later one) before it is killed.
    expect(child.stats()).toMatchObject({ busy: 1, queued: 0 });
    expect(child.pid).toBe(first);
    process.kill(first, "SIGKILL");
    await expect(running).rejects.toThrow(/hash process exited/);
    await expect(running).rejects.toBeInstanceOf(HasherLostError);
    expect(await child.run<string>(hashMsg("after-crash-password"))).toMatch(/^\$argon2id\$/);
    expect(child.pid).not.toBe(first);
    expect(child.stats()).toMatchObject({ busy: 0, queued: 0 });
  });

  it("close fails what waits and what runs, and ends the child", async () => {
    const child = new HashProcess(CHILD, 1, { env: { VIGIL_HASH_BACKEND: "native" } });
    const cost = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
    const running = child.run(hashMsg("running-password", cost));
    const waiting = child.run(hashMsg("waiting-password", cost));
    const pid = child.pid!;
    const failed = Promise.all([
      expect(running).rejects.toThrow(/closed/),
      expect(waiting).rejects.toThrow(/closed/),
    ]);
    await child.close();
    await failed;
    expect(exited(pid)).toBe(true);
    await expect(child.run(hashMsg("late-password"))).rejects.toThrow(/closed/);
  });

  it("an idle child keeps no process alive, and exits when its parent does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-hash-"));
    try {
      const script = join(dir, "idle.mts");
      const module = fileURLToPath(new URL("./hash-process.ts", import.meta.url));
      // Hashes once and never closes: the process must still end, and the child with it
      // (without an error for the channel it loses).
      await writeFile(
        script,
        `import { HashProcess } from ${JSON.stringify(module)};
const child = new HashProcess(new URL(${JSON.stringify(CHILD.href)}), 1, { env: { VIGIL_HASH_BACKEND: "native" } });
await child.run(${JSON.stringify(hashMsg("idle-password"))});
console.log(JSON.stringify({ pid: child.pid, cpu: (await child.cpuMs()) > 0 }));
`,
      );
      const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(
          process.execPath,
          ["--import", "tsx", script],
          { timeout: 20_000 },
          (error, stdout, stderr) => (error ? reject(error) : resolve({ stdout, stderr })),
        ),
      );
      const { pid, cpu } = JSON.parse(out.stdout) as { pid: number; cpu: boolean };
      expect(cpu).toBe(true);
      await until(() => exited(pid));
      expect(out.stderr).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
