/**
 * The ban aggregate: one stream per banned address, `ban-<first 32 hex of
 * sha256(ip)>` (addresses are personal data and stay out of stream ids).
 * Pure decisions, tested given/when/then in ban.test.ts.
 */

import type { Evolver } from "../../../events/handle.ts";
import type { NewEvent, StoredEvent } from "../../../events/types.ts";
import { sha256Hex } from "../../crypto/random.ts";
import { ipLimitSubject, parseIpOrCidr } from "../../http/ip.ts";

export interface BanState {
  until: Date | null;
  lifted: boolean;
  liftedAt: Date | null;
}

export const banEvolver: Evolver<BanState> = {
  initialState: () => ({ until: null, lifted: false, liftedAt: null }),
  evolve(state, e: StoredEvent) {
    if (e.type === "IpBanned") {
      return { ...state, until: new Date((e.data as { until: string }).until), lifted: false };
    }
    if (e.type === "IpBanLifted") return { ...state, lifted: true, liftedAt: e.recordedAt };
    return state;
  },
};

export const banStream = (ip: string) => `ban-${sha256Hex(ip).slice(0, 32)}`;

export function isBanned(s: BanState, now: Date): boolean {
  return s.until !== null && !s.lifted && s.until.getTime() > now.getTime();
}

export interface BanCommand {
  ip: string;
  until: string;
  failures: number;
  rule: string;
  /** The trigger's time: decisions depend on the event, not on when the job runs. */
  now: Date;
  /** Start of the window the failures were counted in. */
  countedSince: Date;
}

/**
 * A ban still running is not extended or repeated (a duplicate job decides
 * nothing), and failures counted from before a lift do not ban again: the
 * admin's lift gives the address a fresh window.
 */
export function decideBan(s: BanState, cmd: BanCommand): NewEvent[] {
  if (isBanned(s, cmd.now)) return [];
  if (s.liftedAt && s.liftedAt.getTime() > cmd.countedSince.getTime()) return [];
  return [
    { type: "IpBanned", data: { ip: cmd.ip, until: cmd.until, failures: cmd.failures, rule: cmd.rule } },
  ];
}

/** Lifting an address that is not banned (never, expired, or already lifted) decides nothing: the no-op rule. */
export function decideLift(s: BanState, cmd: { ip: string; reason: string; now: Date }): NewEvent[] {
  if (!isBanned(s, cmd.now)) return [];
  return [{ type: "IpBanLifted", data: { ip: cmd.ip, reason: cmd.reason } }];
}

/**
 * What a ban is keyed by, from an address an admin typed: IPv4 as is; any IPv6
 * address, or its /64 written as a CIDR, as the /64 (bans, like limits, cover
 * the /64 an IPv6 subscriber holds). Undefined when it is neither.
 */
export function banKey(raw: string): string | undefined {
  const text = raw.trim();
  if (!text.includes("/")) return ipLimitSubject(text);
  const net = parseIpOrCidr(text);
  if (!net) return undefined;
  if (net.v === 4 && net.prefix === 32) return ipLimitSubject(text.split("/")[0]!);
  if (net.v === 6 && net.prefix === 64) return ipLimitSubject(text.split("/")[0]!);
  return undefined;
}
