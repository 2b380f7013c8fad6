/**
 * The ban rule: more than 50 failed logins from one address (IPv4, or an IPv6
 * /64) across any accounts within 10 minutes bans it from the authentication
 * routes for an hour, counted from the failure that crossed the line.
 */
import { evidence, ipKeyOf, minutes, type Rule, recent } from "../types.ts";

export const IP_BAN = { failures: 50, periodMs: minutes(10), banMs: minutes(60) } as const;

export const ipBan: Rule = (window, trigger) => {
  if (trigger.type !== "LoginFailed") return [];
  const ip = ipKeyOf(trigger);
  if (!ip) return [];
  const hits = recent(window, trigger, IP_BAN.periodMs).filter(
    (e) => e.type === "LoginFailed" && ipKeyOf(e) === ip,
  );
  if (hits.length <= IP_BAN.failures) return [];
  const at = trigger.recordedAt.getTime();
  const until = new Date(at + IP_BAN.banMs).toISOString();
  const countedSince = new Date(at - IP_BAN.periodMs).toISOString();
  return [
    {
      rule: "ip_ban",
      severity: "high",
      subject: { kind: "ip", ip },
      summary: `One address failed ${hits.length} logins within 10 minutes; banned from authentication for 1 hour`,
      eventIds: evidence(hits),
      periodMs: IP_BAN.periodMs,
      ban: { ip, until, failures: hits.length, countedSince },
    },
  ];
};
