/**
 * Repeated two-factor failures: 5 or more within 15 minutes on one account.
 * The password was right, so whoever is guessing codes already holds it.
 *
 * Which events count is TWO_FACTOR_FAILURE_TYPES: the MFA feature appends
 * `MfaVerificationFailed` with `data.userId`; another second factor adds its
 * failure type to that list (and is routed and recorded by that alone).
 */
import { accountOf, evidence, minutes, type Rule, recent } from "../types.ts";

export const TWO_FACTOR_FAILURE_TYPES: readonly string[] = ["MfaVerificationFailed"];

export const TWO_FACTOR_FAILURES = { failures: 5, periodMs: minutes(15) } as const;

export const twoFactorFailures: Rule = (window, trigger) => {
  if (!TWO_FACTOR_FAILURE_TYPES.includes(trigger.type)) return [];
  const account = accountOf(trigger);
  if (!account) return [];
  const hits = recent(window, trigger, TWO_FACTOR_FAILURES.periodMs).filter(
    (e) => TWO_FACTOR_FAILURE_TYPES.includes(e.type) && accountOf(e) === account,
  );
  if (hits.length < TWO_FACTOR_FAILURES.failures) return [];
  return [
    {
      rule: "two_factor_failures",
      severity: "high",
      subject: { kind: "account", account },
      summary: `${hits.length} failed second-factor checks on one account within 15 minutes (its password is known)`,
      eventIds: evidence(hits),
      periodMs: TWO_FACTOR_FAILURES.periodMs,
    },
  ];
};
