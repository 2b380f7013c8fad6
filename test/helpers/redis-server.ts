/**
 * A private redis-server for fault-injection tests: started on a free port of
 * 127.0.0.1 with no persistence, so a test may stop, restart, freeze (SIGSTOP)
 * and thaw (SIGCONT) it without touching the Redis everyone else uses.
 * `REDIS_SERVER_BIN` is null when the binary is missing: suites then skip and
 * say so in their name.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

function findBinary(): string | null {
  for (const candidate of [process.env.REDIS_SERVER ?? "", "redis-server", "/usr/bin/redis-server"]) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ["--version"], { stdio: "ignore" });
    if (r.status === 0) return candidate;
  }
  return null;
}

export const REDIS_SERVER_BIN = findBinary();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGKILL: an outage, not a graceful shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
  /** SIGSTOP: the port stays open and nothing answers, the worst case for clients. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

async function waitForPing(url: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    } finally {
      probe.disconnect();
    }
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (!REDIS_SERVER_BIN) throw new Error("redis-server is not installed");
  const bin = REDIS_SERVER_BIN;
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let frozen = false;

  const start = async () => {
    const proc = spawn(
      bin,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    child = proc;
    await waitForPing(url);
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    if (frozen) {
      proc.kill("SIGCONT");
      frozen = false;
    }
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    freeze() {
      child?.kill("SIGSTOP");
      frozen = true;
    },
    thaw() {
      if (!frozen) return;
      child?.kill("SIGCONT");
      frozen = false;
    },
    close: stop,
  };
}
