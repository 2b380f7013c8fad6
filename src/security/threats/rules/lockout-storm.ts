/** Lockout storm: 5 or more distinct accounts locked within 10 minutes, anywhere. */
import { evidence, minutes, type Rule, recent } from "../types.ts";

export const LOCKOUT_STORM = { accounts: 5, periodMs: minutes(10) } as const;

export const lockoutStorm: Rule = (window, trigger) => {
  if (trigger.type !== "AccountLocked") return [];
  const hits = recent(window, trigger, LOCKOUT_STORM.periodMs).filter((e) => e.type === "AccountLocked");
  const accounts = new Set(hits.map((e) => (e.data as { userId: string }).userId));
  if (accounts.size < LOCKOUT_STORM.accounts) return [];
  return [
    {
      rule: "lockout_storm",
      severity: "critical",
      subject: { kind: "global" },
      summary: `${accounts.size} accounts were locked within 10 minutes`,
      eventIds: evidence(hits),
      periodMs: LOCKOUT_STORM.periodMs,
    },
  ];
};
