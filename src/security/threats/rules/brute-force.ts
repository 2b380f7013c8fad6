/** Brute force: 10 or more failed logins on one account within a minute. */
import { accountOf, evidence, minutes, type Rule, recent } from "../types.ts";

export const BRUTE_FORCE = { failures: 10, periodMs: minutes(1) } as const;

export const bruteForce: Rule = (window, trigger) => {
  if (trigger.type !== "LoginFailed") return [];
  const account = accountOf(trigger);
  if (!account) return [];
  const hits = recent(window, trigger, BRUTE_FORCE.periodMs).filter(
    (e) => e.type === "LoginFailed" && accountOf(e) === account,
  );
  if (hits.length < BRUTE_FORCE.failures) return [];
  return [
    {
      rule: "brute_force",
      severity: "high",
      subject: { kind: "account", account },
      summary: `${hits.length} failed logins on one account within 1 minute`,
      eventIds: evidence(hits),
      periodMs: BRUTE_FORCE.periodMs,
    },
  ];
};
