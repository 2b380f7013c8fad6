/**
 * Emails the identity events cause, as dispatcher routes (workers/dispatcher.ts):
 * a new-sign-in notice for logins from devices we do not know, and a notice
 * when an account locks. The address is in the event (LoginSucceeded and
 * AccountLocked carry `email`) because routes are synchronous functions of the
 * event; where the request came from is in its metadata.
 */

import type { AccountLocked, LoginSucceeded } from "../../events/catalog/identity.ts";
import type { EventOf } from "../../events/catalog/index.ts";
import type { StoredEvent } from "../../events/types.ts";
import { eventJob, type JobRoute } from "../../workers/dispatcher.ts";
import { EMAIL_SEND } from "../../workers/email.ts";

function where(e: StoredEvent): string[] {
  const lines = [`Time: ${e.recordedAt.toISOString()}`];
  if (e.metadata.ip) lines.push(`IP address: ${e.metadata.ip}`);
  if (e.metadata.userAgent) lines.push(`Device: ${e.metadata.userAgent.replace(/[\r\n]+/g, " ")}`);
  return lines;
}

export const identityJobRoutes: JobRoute[] = [
  {
    eventType: "LoginSucceeded",
    jobs(event) {
      const d = event.data as EventOf<typeof LoginSucceeded>["data"];
      if (d.deviceTrusted) return [];
      return [
        eventJob(event, EMAIL_SEND, {
          to: d.email,
          subject: "New sign-in to your Vigil account",
          text: [
            "Your account was just signed in to from a device we have not seen before.",
            "",
            ...where(event),
            "",
            "If this was you, there is nothing to do. If not, change your password now and",
            "revoke the session from your session list.",
          ].join("\n"),
        }),
      ];
    },
  },
  {
    eventType: "AccountLocked",
    jobs(event) {
      const d = event.data as EventOf<typeof AccountLocked>["data"];
      return [
        eventJob(event, EMAIL_SEND, {
          to: d.email,
          subject: "Your Vigil account was locked",
          text: [
            `After ${d.failures} failed sign-in attempts in a row, password sign-in to your account`,
            `is locked until ${d.until}.`,
            "",
            "Last attempt:",
            ...where(event),
            "",
            "Devices you have signed in from before can still sign in. If these attempts were not",
            "yours, someone may be guessing your password: choose a strong, unique one.",
          ].join("\n"),
        }),
      ];
    },
  },
];
