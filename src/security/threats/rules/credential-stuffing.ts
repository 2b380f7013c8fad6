/** Credential stuffing: one address failing on 5 or more distinct accounts within 10 minutes. */
import { accountOf, evidence, ipKeyOf, minutes, type Rule, recent } from "../types.ts";

export const CREDENTIAL_STUFFING = { accounts: 5, periodMs: minutes(10) } as const;

export const credentialStuffing: Rule = (window, trigger) => {
  if (trigger.type !== "LoginFailed") return [];
  const ip = ipKeyOf(trigger);
  if (!ip) return [];
  const hits = recent(window, trigger, CREDENTIAL_STUFFING.periodMs).filter(
    (e) => e.type === "LoginFailed" && ipKeyOf(e) === ip,
  );
  const accounts = new Set(hits.map(accountOf).filter((a) => a !== null));
  if (accounts.size < CREDENTIAL_STUFFING.accounts) return [];
  return [
    {
      rule: "credential_stuffing",
      severity: "high",
      subject: { kind: "ip", ip },
      summary: `One address failed to log in to ${accounts.size} accounts within 10 minutes (${hits.length} attempts)`,
      eventIds: evidence(hits),
      periodMs: CREDENTIAL_STUFFING.periodMs,
    },
  ];
};
