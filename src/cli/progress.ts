/**
 * Progress of long commands (verify, replay, rebuild) on a terminal: one stderr
 * line, redrawn at most every `everyMs`, with the elapsed time and the rate so a
 * long run shows it is moving. Off a terminal it prints nothing (stdout is the
 * result; a log file does not want a line per batch).
 */
export interface ProgressSink {
  write(text: string): void;
  tty: boolean;
}

export interface TerminalProgress {
  /** `line` is e.g. "verify: 120000 events checked"; `count` the units done so far, for the rate. */
  update(line: string, count?: number): void;
  /** Ends the redrawn line (only if one was drawn). */
  done(): void;
}

export function terminalProgress(
  sink: ProgressSink,
  now: () => number = () => performance.now(),
  everyMs = 100,
): TerminalProgress {
  const started = now();
  let drawn = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  return {
    update(line, count) {
      if (!sink.tty) return;
      const t = now();
      if (t - lastDraw < everyMs) return;
      lastDraw = t;
      const seconds = (t - started) / 1000;
      const rate =
        count !== undefined && seconds > 0 ? `, ${Math.round(count / seconds).toLocaleString("en")}/s` : "";
      sink.write(`\r${line} (${seconds.toFixed(1)} s${rate})   `);
      drawn = true;
    },
    done() {
      if (drawn) sink.write("\n");
      drawn = false;
    },
  };
}
