/** The shapes of the event log, shared by the store, projections, dispatcher and replay. */

/** Where the writer expects the stream to be: an exact version, not yet existing, or anywhere. */
export type ExpectedVersion = number | "no_stream" | "any";

/** Who did it, from where, and as part of what: recorded on every event. */
export interface EventMetadata {
  /** `user:<id>`, `api_key:<id>`, `system:<component>` or `anonymous`. */
  actor: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** Groups every event caused by one user intention (defaults to the request id). */
  correlationId: string | null;
  /** The event or request that directly caused this one. */
  causationId: string | null;
  /** Why, for admin actions. */
  reason?: string;
}

export interface NewEvent<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
  /** Supplied by the caller when a retry must not append twice (the id is unique). */
  readonly eventId?: string;
}

/** A position in the log: read order is (txId, id); see events/store.ts. */
export interface Position {
  readonly txId: string;
  readonly id: number;
}

export const START: Position = Object.freeze({ txId: "0", id: 0 });

export interface StoredEvent<T extends string = string, D = unknown> {
  readonly position: Position;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: T;
  /** The version the data is in now: older versions are upcast on read. */
  readonly schemaVersion: number;
  readonly data: D;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly version: number;
  readonly headHash: Uint8Array;
  readonly events: readonly StoredEvent[];
}

/** Orders two log positions: negative when `a` comes first. */
export function comparePositions(a: Position, b: Position): number {
  const ax = BigInt(a.txId);
  const bx = BigInt(b.txId);
  if (ax !== bx) return ax < bx ? -1 : 1;
  return a.id - b.id;
}
