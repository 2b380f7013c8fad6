/** Turns async projections into consumers and runs them. */
import type { Consumer, RunningConsumer, RunOptions } from "./consumer.ts";
import { runConsumer } from "./consumer.ts";
import type { Projection } from "./types.ts";

export const checkpointName = (p: Projection) => `projection:${p.name}`;

export function projectionConsumer(p: Projection): Consumer {
  return {
    name: checkpointName(p),
    eventTypes: p.eventTypes,
    async handle(tx, events) {
      for (const e of events) await p.apply(tx, e);
    },
  };
}

export function runProjections(opts: RunOptions, projections: readonly Projection[]): RunningConsumer[] {
  return projections.filter((p) => p.mode === "async").map((p) => runConsumer(opts, projectionConsumer(p)));
}
