/**
 * The decider pattern: load a stream, fold it into state, decide new events from
 * the command and that state, append at the version that was read. A concurrent
 * writer makes the append fail with ConcurrencyError; then we load and decide
 * again, since the decision may now be different. Domain code stays pure.
 */
import { ConcurrencyError } from "./errors.ts";
import type { EventStore } from "./store.ts";
import type { AppendResult, EventMetadata, NewEvent, StoredEvent } from "./types.ts";

export interface Evolver<S> {
  initialState(): S;
  evolve(state: S, event: StoredEvent): S;
}

export interface HandleOptions {
  /** The version the client last saw (If-Match): no retry then, a conflict is the answer. */
  expectedVersion?: number;
  retries?: number;
}

export interface HandleResult<S> {
  state: S;
  version: number;
  appended: AppendResult | null;
}

export async function loadState<S>(
  store: EventStore,
  streamId: string,
  evolver: Evolver<S>,
): Promise<{ state: S; version: number }> {
  const events = await store.readStream(streamId);
  let state = evolver.initialState();
  for (const e of events) state = evolver.evolve(state, e);
  return { state, version: events.at(-1)?.streamVersion ?? 0 };
}

export async function handle<S>(
  store: EventStore,
  streamId: string,
  evolver: Evolver<S>,
  decide: (state: S) => readonly NewEvent[] | Promise<readonly NewEvent[]>,
  metadata: EventMetadata,
  opts: HandleOptions = {},
): Promise<HandleResult<S>> {
  const retries = opts.expectedVersion === undefined ? (opts.retries ?? 5) : 0;
  for (let attempt = 0; ; attempt++) {
    const { state, version } = await loadState(store, streamId, evolver);
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, String(opts.expectedVersion));
    }
    const events = await decide(state);
    if (events.length === 0) return { state, version, appended: null };
    try {
      const appended = await store.append(streamId, version === 0 ? "no_stream" : version, events, metadata);
      let next = state;
      for (const e of appended.events) next = evolver.evolve(next, e);
      return { state: next, version: appended.version, appended };
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < retries) continue;
      throw err;
    }
  }
}
