/**
 * Rate-limit violation burst: 10 or more RateLimitExceeded from one address
 * within 10 minutes. RateLimitExceeded is recorded once per limiter key and
 * window, not per refused request, so 10 of them mean one client kept hitting
 * limits across many windows or many keys (accounts, policies): a sustained
 * flood rather than a client that retried too eagerly once.
 */
import { evidence, ipKeyOf, minutes, type Rule, recent } from "../types.ts";

export const RATE_LIMIT_BURST = { refusals: 10, periodMs: minutes(10) } as const;

export const rateLimitBurst: Rule = (window, trigger) => {
  if (trigger.type !== "RateLimitExceeded") return [];
  const ip = ipKeyOf(trigger);
  if (!ip) return [];
  const hits = recent(window, trigger, RATE_LIMIT_BURST.periodMs).filter(
    (e) => e.type === "RateLimitExceeded" && ipKeyOf(e) === ip,
  );
  if (hits.length < RATE_LIMIT_BURST.refusals) return [];
  const policies = [...new Set(hits.map((e) => (e.data as { policy: string }).policy))].sort();
  return [
    {
      rule: "rate_limit_burst",
      severity: "medium",
      subject: { kind: "ip", ip },
      summary: `One address was rate-limited ${hits.length} times within 10 minutes (${policies.join(", ")})`,
      eventIds: evidence(hits),
      periodMs: RATE_LIMIT_BURST.periodMs,
    },
  ];
};
