/**
 * An administrator signed in from a device and an address never seen for them.
 * "Device never seen": no valid device token of theirs came with the login
 * (`deviceTrusted` false). "Address never seen": no earlier login of theirs
 * came from that exact IP. The window is the admin's earlier logins; with none
 * (their first login) there is no baseline and nothing is raised. The analyzer
 * runs this rule only for accounts that hold the admin role.
 */
import type { StoredEvent } from "../../../../events/types.ts";
import type { Rule } from "../types.ts";

export const adminNewDevice: Rule = (window, trigger) => {
  if (trigger.type !== "LoginSucceeded") return [];
  const { userId, deviceTrusted } = trigger.data as { userId: string; deviceTrusted: boolean };
  const ip = trigger.metadata.ip;
  if (deviceTrusted || !ip) return [];
  const before = window.filter(
    (e: StoredEvent) =>
      e.type === "LoginSucceeded" &&
      e.eventId !== trigger.eventId &&
      (e.data as { userId: string }).userId === userId &&
      e.recordedAt.getTime() <= trigger.recordedAt.getTime(),
  );
  if (before.length === 0) return [];
  if (before.some((e) => e.metadata.ip === ip)) return [];
  return [
    {
      rule: "admin_new_device",
      severity: "high",
      subject: { kind: "account", account: userId },
      summary: `An administrator signed in from a new device and an address not seen in their ${before.length} earlier logins`,
      eventIds: [trigger.eventId],
      periodMs: null,
    },
  ];
};
