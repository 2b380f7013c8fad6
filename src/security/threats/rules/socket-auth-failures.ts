/**
 * WebSocket authentication failures from one address: 10 or more
 * SocketAuthenticationFailed (bad, expired or revoked tokens, sockets that
 * never authenticate) from one IPv4 address or IPv6 /64 within 10 minutes.
 * A client whose token merely expired fails once and logs in again; ten in a
 * row is someone trying tokens against the custody socket.
 */
import { evidence, ipKeyOf, minutes, type Rule, recent } from "../types.ts";

export const SOCKET_AUTH_FAILURES = { failures: 10, periodMs: minutes(10) } as const;

export const socketAuthFailures: Rule = (window, trigger) => {
  if (trigger.type !== "SocketAuthenticationFailed") return [];
  const ip = ipKeyOf(trigger);
  if (!ip) return [];
  const hits = recent(window, trigger, SOCKET_AUTH_FAILURES.periodMs).filter(
    (e) => e.type === "SocketAuthenticationFailed" && ipKeyOf(e) === ip,
  );
  if (hits.length < SOCKET_AUTH_FAILURES.failures) return [];
  const reasons = [...new Set(hits.map((e) => (e.data as { reason: string }).reason))].sort();
  return [
    {
      rule: "socket_auth_failures",
      severity: "high",
      subject: { kind: "ip", ip },
      summary: `One address failed WebSocket authentication ${hits.length} times within 10 minutes (${reasons.join(", ")})`,
      eventIds: evidence(hits),
      periodMs: SOCKET_AUTH_FAILURES.periodMs,
    },
  ];
};
