/**
 * Time travel: a stream's state as it was at a position of the log, through
 * the stream's own evolve. Governance reads voting power at a proposal's
 * snapshot with it; the audit API serves `/streams/{id}/state?at=` with it.
 * One function, so "the state at a position" means the same thing everywhere.
 */
import type { Evolver } from "./handle.ts";
import type { EventStore } from "./store.ts";
import { comparePositions, type Position } from "./types.ts";

export interface StateAt<S> {
  state: S;
  /** The stream version the state includes (0: the stream did not exist yet). */
  version: number;
}

/**
 * Folds the stream's events at or before `at` in log read order. It stops at
 * the first event past `at`, so the result is always a prefix of the stream
 * (a state the stream really had), never a selection with holes.
 */
export async function stateAt<S>(
  store: EventStore,
  streamId: string,
  evolver: Evolver<S>,
  at: Position,
): Promise<StateAt<S>> {
  const events = await store.readStream(streamId);
  let state = evolver.initialState();
  let version = 0;
  for (const e of events) {
    if (comparePositions(e.position, at) > 0) break;
    state = evolver.evolve(state, e);
    version = e.streamVersion;
  }
  return { state, version };
}
