/** Every projection Vigil maintains. Feature folders add theirs here. */
import { alertsProjection } from "./alerts.ts";
import { apiKeysProjection } from "./api-keys.ts";
import { auditExportsProjection } from "./audit-exports.ts";
import { custodyProjection } from "./custody.ts";
import { emailTokensProjection } from "./email-tokens.ts";
import { eventStatsProjection } from "./event-stats.ts";
import { proposalsProjection, talliesProjection, votesProjection } from "./governance.ts";
import { ipBansProjection } from "./ip-bans.ts";
import { mfaProjection } from "./mfa.ts";
import { securitySignalsProjection } from "./security-signals.ts";
import { sessionsProjection } from "./sessions.ts";
import type { Projection } from "./types.ts";
import { usersProjection } from "./users.ts";
import { governancePowerProjection, walletsProjection } from "./wallets.ts";

export type { Projection } from "./types.ts";

export const allProjections: readonly Projection[] = [
  eventStatsProjection,
  usersProjection,
  sessionsProjection,
  emailTokensProjection,
  securitySignalsProjection,
  ipBansProjection,
  alertsProjection,
  apiKeysProjection,
  mfaProjection,
  custodyProjection,
  walletsProjection,
  governancePowerProjection,
  proposalsProjection,
  votesProjection,
  talliesProjection,
  auditExportsProjection,
];

export const inlineProjections = (ps: readonly Projection[] = allProjections) =>
  ps.filter((p) => p.mode === "inline");
export const asyncProjections = (ps: readonly Projection[] = allProjections) =>
  ps.filter((p) => p.mode === "async");

export function findProjection(name: string, ps: readonly Projection[] = allProjections): Projection {
  const p = ps.find((x) => x.name === name);
  if (!p) throw new Error(`no projection named ${name} (known: ${ps.map((x) => x.name).join(", ")})`);
  return p;
}
