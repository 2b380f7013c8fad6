/**
 * More than 3 concurrent connections for one guardian. A connection opens with
 * a `starts` event and closes with an `ends` event carrying the same key; one
 * past its `expiresAt` (when the start has one) counts as closed. Wired on
 * sessions today (SessionStarted / SessionRevoked, for accounts holding the
 * guardian role); the custody work instantiates it with its own connection events.
 */
import type { StoredEvent } from "../../../../events/types.ts";
import type { Rule } from "../types.ts";

export interface ConnectionRuleOptions {
  starts: readonly string[];
  ends: readonly string[];
  /** The connection an event opens or closes. */
  key: (e: StoredEvent) => string;
  /** Open connections allowed; one more raises the alert. */
  max: number;
}

export const GUARDIAN_CONNECTIONS: ConnectionRuleOptions = {
  starts: ["SessionStarted"],
  ends: ["SessionRevoked"],
  key: (e) => (e.data as { sessionId: string }).sessionId,
  max: 3,
};

/**
 * The custody WebSocket's connections (src/custody/ws): an open socket holds a
 * slot until it closes; a refused 4th attempt counts as open for a minute (its
 * `expiresAt`), so three open sockets and a refused one make four.
 */
export const GUARDIAN_SOCKET_CONNECTIONS: ConnectionRuleOptions = {
  starts: ["GuardianSocketOpened", "GuardianSocketRefused"],
  ends: ["GuardianSocketClosed"],
  key: (e) => (e.data as { connectionId: string }).connectionId,
  max: 3,
};

export function guardianConnections(opts: ConnectionRuleOptions = GUARDIAN_CONNECTIONS): Rule {
  return (window, trigger) => {
    if (!opts.starts.includes(trigger.type)) return [];
    const { userId } = trigger.data as { userId: string };
    const at = trigger.recordedAt.getTime();
    const open = new Map<string, StoredEvent>();
    const events = [...window.filter((e) => e.eventId !== trigger.eventId), trigger]
      .filter((e) => (e.data as { userId?: string }).userId === userId && e.recordedAt.getTime() <= at)
      .sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime());
    for (const e of events) {
      if (opts.starts.includes(e.type)) open.set(opts.key(e), e);
      else if (opts.ends.includes(e.type)) open.delete(opts.key(e));
    }
    for (const [k, e] of open) {
      const expires = (e.data as { expiresAt?: string }).expiresAt;
      if (expires && new Date(expires).getTime() <= at) open.delete(k);
    }
    if (open.size <= opts.max) return [];
    return [
      {
        rule: "guardian_connections",
        severity: "high",
        subject: { kind: "account", account: userId },
        summary: `A guardian has ${open.size} concurrent connections (at most ${opts.max} expected)`,
        eventIds: [...open.values()].map((e) => e.eventId),
        // One alert per guardian and hour, however many more connections arrive.
        periodMs: 3_600_000,
      },
    ];
  };
}
