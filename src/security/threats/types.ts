/**
 * The vocabulary of threat rules. A rule is a pure function of a window of
 * recent events and the event that triggered the evaluation; it returns the
 * alerts it would raise. Identity of an alert (its id, hashing of personal
 * subjects) and every write belong to the analyzer (analyze.ts), so rules stay
 * synchronous, deterministic and trivially testable.
 */
import type { AlertSeverity } from "../../../events/catalog/security.ts";
import type { StoredEvent } from "../../../events/types.ts";
import { ipLimitSubject } from "../../http/ip.ts";

/** Who or what an alert is about; the analyzer hashes the personal kinds. */
export type Subject =
  | { kind: "ip"; ip: string }
  /** A user id, or `email:<sha256>` for an email that matches no account. */
  | { kind: "account"; account: string }
  | { kind: "session"; sessionId: string }
  /** A custody vault (its id is no personal data). */
  | { kind: "vault"; vaultId: string }
  | { kind: "global" };

export interface Alert {
  rule: string;
  severity: AlertSeverity;
  subject: Subject;
  /** One line for a human; never personal data (no address, no email). */
  summary: string;
  /** The events that matched, oldest first (at most 200). */
  eventIds: string[];
  /**
   * Alerts of one rule and subject in one period of this length share an id, so
   * re-evaluating a window raises nothing new. Null: every trigger is its own alert.
   */
  periodMs: number | null;
  /** For the ban rule: refuse this address on the authentication routes until then. */
  ban?: { ip: string; until: string; failures: number; countedSince: string };
}

export type Rule = (window: readonly StoredEvent[], trigger: StoredEvent) => Alert[];

/** The address as limits and bans see it: IPv4, or the IPv6 /64. Null when unknown. */
export function ipKeyOf(e: StoredEvent): string | null {
  return e.metadata.ip ? (ipLimitSubject(e.metadata.ip) ?? null) : null;
}

/** The account an event is about: its user id, else `email:<hash>` (failures on unknown emails). */
export function accountOf(e: StoredEvent): string | null {
  const d = e.data as { userId?: string | null; emailHash?: string } | null;
  if (d?.userId) return d.userId;
  return d?.emailHash ? `email:${d.emailHash}` : null;
}

const ms = (e: StoredEvent) => e.recordedAt.getTime();

/**
 * The window's events within `periodMs` up to and including the trigger's time,
 * the trigger included even if the caller left it out. Oldest first.
 */
export function recent(
  window: readonly StoredEvent[],
  trigger: StoredEvent,
  periodMs: number,
): StoredEvent[] {
  const to = ms(trigger);
  const from = to - periodMs;
  const seen = new Set<string>();
  const out: StoredEvent[] = [];
  for (const e of [...window, trigger]) {
    if (seen.has(e.eventId) || ms(e) <= from || ms(e) > to) continue;
    seen.add(e.eventId);
    out.push(e);
  }
  return out.sort((a, b) => ms(a) - ms(b));
}

/** The last `max` ids (the newest evidence matters most when there is a lot of it). */
export const evidence = (events: readonly StoredEvent[], max = 200) =>
  events.slice(-max).map((e) => e.eventId);

export const minutes = (n: number) => n * 60_000;
