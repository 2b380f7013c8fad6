/**
 * Custody's jobs, as dispatcher routes (workers/dispatcher.ts) and handlers:
 *
 * - GuardianInvited → `custody.invitation-email`: the handler derives the code
 *   from the event id with the link key and emails it; the payload holds no code.
 * - SigningRoundStarted → `custody.round-timeout`, delayed to the round's
 *   deadline; its id derives from the event id, so a restart neither loses nor
 *   doubles it (timeouts.ts).
 */
import { z } from "zod";
import type { GuardianInvited, SigningRoundStarted } from "../../events/catalog/custody.ts";
import type { EventOf } from "../../events/catalog/index.ts";
import { eventJob, type JobRoute } from "../../workers/dispatcher.ts";
import type { Mailer } from "../../workers/email.ts";
import { type JobHandler, PermanentJobError } from "../../workers/queue.ts";
import type { AppDeps } from "../app.ts";
import { requireAuthDeps } from "../auth/deps.ts";
import { timeoutRound } from "./timeouts.ts";

export const INVITATION_EMAIL = "custody.invitation-email";
export const ROUND_TIMEOUT = "custody.round-timeout";

const invitationJob = z.object({
  eventId: z.uuid(),
  vaultId: z.uuid(),
  to: z.email(),
  expiresAt: z.iso.datetime(),
});

const timeoutJob = z.object({ txId: z.uuid(), round: z.number().int().min(1), startedEventId: z.uuid() });

export const custodyJobRoutes: JobRoute[] = [
  {
    eventType: "GuardianInvited",
    jobs(e) {
      const d = e.data as EventOf<typeof GuardianInvited>["data"];
      return [
        eventJob(e, INVITATION_EMAIL, {
          eventId: e.eventId,
          vaultId: d.vaultId,
          to: d.email,
          expiresAt: d.expiresAt,
        }),
      ];
    },
  },
  {
    eventType: "SigningRoundStarted",
    jobs(e) {
      const d = e.data as EventOf<typeof SigningRoundStarted>["data"];
      return [
        {
          ...eventJob(e, ROUND_TIMEOUT, { txId: d.txId, round: d.round, startedEventId: e.eventId }),
          runAt: new Date(d.deadline),
        },
      ];
    },
  },
];

/** `pageUrl`: Vigil's hosted page that explains the invitation (src/pages), when it serves one. */
export function invitationEmail(to: string, code: string, expiresAt: Date, pageUrl?: string) {
  return {
    to,
    subject: "[Vigil] You are invited to guard a custody vault",
    text: [
      "You were invited to become a guardian of a Vigil custody vault.",
      "",
      "Sign in to Vigil, then redeem this code together with your device's X25519 transport public key:",
      "",
      `  ${code}`,
      "",
      '  POST /v1/custody/invitations/redeem {"code": "…", "transportPublicKey": "…"}',
      "",
      `The code works once and expires at ${expiresAt.toISOString()}.`,
      ...(pageUrl ? ["", `What this is and how to accept it: ${pageUrl}`] : []),
      "If you did not expect this, ignore this email.",
    ].join("\n"),
  };
}

/** The code in an invitation email (for guardians' tooling and the tests). */
export function codeInMail(text: string): string | undefined {
  return /^ {2}([A-Za-z0-9_-]{40,})$/m.exec(text)?.[1];
}

export function custodyJobHandlers(appDeps: AppDeps, mailer: Mailer): Record<string, JobHandler> {
  return {
    async [INVITATION_EMAIL](data) {
      const parsed = invitationJob.safeParse(data);
      if (!parsed.success) throw new PermanentJobError("invalid custody invitation job");
      const deps = requireAuthDeps(appDeps);
      const expiresAt = new Date(parsed.data.expiresAt);
      if (expiresAt.getTime() <= deps.clock.now().getTime())
        throw new PermanentJobError("invitation expired unsent");
      const code = await deps.auth.links.derive("custody_invitation", parsed.data.eventId);
      const { hostedPages, publicUrl } = appDeps.config;
      const page = hostedPages ? `${publicUrl}/accept-invitation` : undefined;
      await mailer.send(invitationEmail(parsed.data.to, code, expiresAt, page));
    },
    async [ROUND_TIMEOUT](data) {
      const parsed = timeoutJob.safeParse(data);
      if (!parsed.success) throw new PermanentJobError("invalid custody round-timeout job");
      await timeoutRound(requireAuthDeps(appDeps), parsed.data);
    },
  };
}
