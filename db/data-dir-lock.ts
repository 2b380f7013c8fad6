/**
 * The embedded database belongs to one process. PGlite keeps its files in a
 * directory and caches them in memory: two processes on one directory each
 * write their own view, and one of them silently loses its writes. So whoever
 * opens it first takes `<DATA_DIR>/pglite.lock`, and every other process
 * (a second server, `cli admin create`, `cli verify`) refuses at once.
 *
 * The lock is a file created with O_EXCL holding the owner's pid, host and
 * process start time; Node and Deno both have that, and neither has a portable
 * flock. A crashed owner leaves the file behind, so a lock counts only while
 * its owner lives: same host, the pid exists, and (where /proc tells) it is the
 * same process, not a later one that reused the pid. Anything we cannot check
 * (another host on a shared disk) counts as held: refusing is the safe side.
 */

import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";

export const LOCK_FILE = "pglite.lock";

export interface LockOwner {
  pid: number;
  host: string;
  /** Kernel start time of the owner (Linux /proc), to tell a reused pid apart. */
  startTime?: string;
  command: string;
  since: string;
}

export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {
    super(
      `The embedded database in ${path.replace(/\/[^/]+$/, "")} is in use by another process ` +
        `(pid ${owner.pid} on ${owner.host}, "${owner.command}", since ${owner.since}). ` +
        "PGlite can be opened by one process at a time: stop that process first (e.g. the server), " +
        "or run Vigil on Postgres (DATABASE_URL), which any number of processes can share. " +
        `If no such process exists, delete ${path}.`,
    );
  }
}

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Linux: field 22 of /proc/<pid>/stat; undefined elsewhere or when the process is gone. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

async function alive(owner: LockOwner): Promise<boolean> {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  const started = await startTimeOf(owner.pid);
  if (started !== undefined) return owner.startTime === undefined || owner.startTime === started;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code !== "ESRCH";
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, "utf8")) as LockOwner;
    return typeof owner.pid === "number" && typeof owner.host === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Takes `<dir>/pglite.lock` or throws DataDirLockedError naming the process that holds it. */
export async function lockDataDir(
  dir: string,
  command = process.argv.slice(1).join(" "),
): Promise<DataDirLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startTime: await startTimeOf(process.pid),
    command: command.slice(0, 200),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, "wx", 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await fh.close();
      }
      return {
        path,
        async release() {
          // Only our own lock: never remove one a later owner took.
          const owner = await readOwner(path);
          if (owner?.pid === me.pid && owner.since === me.since) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
    }
    const owner = await readOwner(path);
    // A file being written this instant has no owner yet: look again rather than steal it.
    if (!owner) {
      await new Promise((r) => setTimeout(r, 50));
      const again = await readOwner(path);
      if (!again) await rm(path, { force: true });
      continue;
    }
    if (await alive(owner)) throw new DataDirLockedError(path, owner);
    // Its owner died without releasing it (crash, kill -9): the lock is stale.
    await rm(path, { force: true });
  }
  const owner = await readOwner(path);
  throw new DataDirLockedError(path, owner ?? { pid: 0, host: "?", command: "?", since: "?" });
}
