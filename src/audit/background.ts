/**
 * The audit feature's background work: the ledger's sequencer (one in the
 * cluster, under its advisory lock; other processes stand by) with its
 * checkpoint signing and optional witness directory, and the retention job.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { runSequencer, SEQUENCER_POLL_MS, type SignedCheckpoint } from "../../events/ledger/sequencer.ts";
import type { AppDeps } from "../app.ts";
import { checkpointKeysFor } from "./feature.ts";
import { runRetention } from "./retention.ts";

/**
 * Writes each checkpoint as `<size>.checkpoint` (zero-padded, so names sort)
 * and `latest.checkpoint` in `dir`: a copy outside the database, e.g. on
 * another machine's mount or a bucket synced elsewhere, that a later rewrite
 * of the database cannot reach.
 */
export function witnessDir(dir: string) {
  let ready: Promise<unknown> | undefined;
  return async (cp: SignedCheckpoint) => {
    ready ??= mkdir(dir, { recursive: true });
    await ready;
    const name = `${String(cp.size).padStart(16, "0")}.checkpoint`;
    await writeFile(`${dir}/${name}`, cp.note, { flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    // Atomic replace, so a reader never sees half a note.
    await writeFile(`${dir}/.latest.tmp`, cp.note);
    await rename(`${dir}/.latest.tmp`, `${dir}/latest.checkpoint`);
  };
}

export interface AuditWork {
  stop(): Promise<void>;
}

export function startAuditWork(deps: AppDeps, opts: { pollMs?: number } = {}): AuditWork {
  const { config, logger } = deps;
  const stops: Array<() => Promise<void>> = [];
  if (config.ledger.enabled) {
    const keys = checkpointKeysFor(deps);
    const witness = config.ledger.witnessDir ? witnessDir(config.ledger.witnessDir) : undefined;
    const sequencer = runSequencer({
      db: deps.db,
      origin: config.ledger.origin,
      sign: (text) => keys.sign(text),
      checkpointIntervalMs: config.ledger.checkpointIntervalMs,
      checkpointEveryEvents: config.ledger.checkpointEveryEvents,
      // A shorter shared poll (tests) applies; a longer one would only add lag.
      pollMs: opts.pollMs === undefined ? undefined : Math.min(opts.pollMs, SEQUENCER_POLL_MS),
      clock: () => deps.clock.now(),
      onCheckpoint: witness,
      onError: (err) => logger.error({ error: (err as Error).message }, "ledger sequencer failed"),
    });
    stops.push(() => sequencer.stop());
  }
  if (config.retention.intervalMs > 0) {
    const retention = runRetention(deps);
    stops.push(() => retention.stop());
  }
  return {
    async stop() {
      await Promise.all(stops.map((s) => s()));
    },
  };
}
