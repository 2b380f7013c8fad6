/** Test support for threat rules: events made by hand, on a timeline. Not imported by runtime code. */
import type { StoredEvent } from "../../../events/types.ts";

export const T0 = Date.parse("2026-03-01T10:00:00.000Z");
let seq = 0;

/** A stored event of `type` at `T0 + seconds`, from `ip`. */
export function ev(
  type: string,
  data: Record<string, unknown>,
  opts: { at?: number; ip?: string | null; streamId?: string } = {},
): StoredEvent {
  seq++;
  const hex = seq.toString(16).padStart(12, "0");
  return {
    position: { txId: String(1000 + seq), id: seq },
    streamId: opts.streamId ?? `test-${seq}`,
    streamVersion: 1,
    eventId: `0195a000-0000-7000-8000-${hex}`,
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: "anonymous",
      ip: opts.ip === undefined ? "203.0.113.9" : opts.ip,
      userAgent: "test",
      requestId: null,
      correlationId: null,
      causationId: null,
    },
    recordedAt: new Date(T0 + (opts.at ?? 0) * 1000),
  };
}

export const hash = (n: number) => n.toString(16).padStart(64, "0");
export const uid = (n: number) => `0195a000-0000-7000-9000-${n.toString(16).padStart(12, "0")}`;

/** A failed login on account `n` (an existing user when `known`, else an unknown email). */
export const failed = (n: number, opts: { at?: number; ip?: string | null; known?: boolean } = {}) =>
  ev(
    "LoginFailed",
    { userId: opts.known === false ? null : uid(n), emailHash: hash(n), reason: "invalid_password" },
    opts,
  );

/** `count` events made by `make(i)`, the last one being the trigger: [window, trigger]. */
export function series(count: number, make: (i: number) => StoredEvent): [StoredEvent[], StoredEvent] {
  const all = Array.from({ length: count }, (_, i) => make(i));
  return [all, all.at(-1)!];
}
