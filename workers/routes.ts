/** The routes Vigil's core needs; features add their own next to their code. */
import type { EventOf } from "../events/catalog/index.ts";
import type { ChainVerified } from "../events/catalog/system.ts";
import { eventJob, type JobRoute } from "./dispatcher.ts";
import { EMAIL_SEND } from "./email.ts";
import { chainBrokenEmail } from "./templates.ts";

export interface CoreRouteOptions {
  /** Where security alerts go (SECURITY_EMAIL); without it none are sent. */
  securityEmail?: string;
}

export function coreRoutes(opts: CoreRouteOptions): JobRoute[] {
  const to = opts.securityEmail;
  if (!to) return [];
  return [
    {
      eventType: "ChainVerified",
      jobs(event) {
        const data = event.data as EventOf<typeof ChainVerified>["data"];
        if (data.broken === 0) return [];
        return [eventJob(event, EMAIL_SEND, chainBrokenEmail(to, data, event))];
      },
    },
  ];
}
