/**
 * A sleep that a poke cuts short, for the log's consumers (projections, the
 * dispatcher, the ledger's sequencer). A poke that arrives while the consumer
 * is busy is remembered, so the next sleep returns at once and nothing waits
 * a whole poll for work that is already there.
 */
export interface Wake {
  sleep(ms: number): Promise<void>;
  poke(): void;
}

export function wakeableSleep(): Wake {
  let poked = false;
  let wake: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (poked) {
          poked = false;
          return resolve();
        }
        const t = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
      }),
    poke: () => {
      if (wake) wake();
      else poked = true;
    },
  };
}
