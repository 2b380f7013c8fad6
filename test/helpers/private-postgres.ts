/**
 * A private Postgres cluster for tests that must stop, restart or kill the
 * server: never the shared one. `initdb` in a temp directory owned by the
 * `postgres` user, a free port on 127.0.0.1, trust auth. Postgres refuses to run
 * as root, so when the tests run as root every command goes through
 * `runuser -u postgres --`. `privatePostgresMissing()` says why a suite must
 * skip (no binaries, no postgres user), for its name.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

const asRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Why a private cluster cannot be started here, or undefined when it can. */
export function privatePostgresMissing(): string | undefined {
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(join(PG_BIN, tool))) return `no ${join(PG_BIN, tool)}`;
  }
  if (asRoot() && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser")) return "no runuser";
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function pg(tool: string, args: string[]): Promise<string> {
  const cmd = join(PG_BIN, tool);
  const { stdout } = asRoot()
    ? await run("runuser", ["-u", "postgres", "--", cmd, ...args], { timeout: 120_000 })
    : await run(cmd, args, { timeout: 120_000 });
  return stdout;
}

export interface PrivatePostgres {
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop` (fast by default: clients get 57P01 and their sockets close). */
  stop(mode?: "smart" | "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** Stop then start, as an operator's restart. */
  restart(mode?: "smart" | "fast" | "immediate"): Promise<void>;
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(opts: { maxConnections?: number } = {}): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-pg-"));
  const data = join(dir, "data");
  if (asRoot()) {
    await run("chown", ["postgres:postgres", dir]);
    await chmod(dir, 0o700);
  }
  await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    `-c max_connections=${opts.maxConnections ?? 30}`,
    "-c fsync=off",
    "-c shared_buffers=16MB",
  ].join(" ");
  const start = () =>
    pg("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "-t", "60", "start"]);
  const stop = (mode = "fast") =>
    pg("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]).then(() => {});
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start: () => start().then(() => {}),
    async restart(mode) {
      await stop(mode);
      await start();
    },
    async destroy() {
      await stop("immediate").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
