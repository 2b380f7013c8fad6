/**
 * Emails the identity events cause, as dispatcher routes (workers/dispatcher.ts):
 * the verification and password-reset links, a notice when the password
 * changes or is reset, a new-sign-in notice for logins from devices we do not
 * know, and a notice when an account locks. Addresses are in the events
 * because routes are synchronous functions of the event; where the request
 * came from is in its metadata.
 *
 * Link emails are their own job (`identity.link-email`), whose payload holds
 * the event id but no token: the handler derives the token from that id with
 * the server's link key (src/crypto/link-tokens.ts) when it sends. So neither
 * the log, nor Redis, nor a failed job kept for inspection holds a usable link.
 */
import { z } from "zod";
import type {
  AccountLocked,
  EmailVerificationRequested,
  LoginSucceeded,
  PasswordChanged,
  PasswordResetCompleted,
  PasswordResetRequested,
} from "../../events/catalog/identity.ts";
import type { EventOf } from "../../events/catalog/index.ts";
import type { StoredEvent } from "../../events/types.ts";
import { eventJob, type JobRoute } from "../../workers/dispatcher.ts";
import { EMAIL_SEND, type Mailer } from "../../workers/email.ts";
import { type JobHandler, PermanentJobError } from "../../workers/queue.ts";
import {
  accountLockedEmail,
  newSignInEmail,
  passwordChangedEmail,
  passwordResetEmail,
  type RequestOrigin,
  resetReasonKind,
  verificationEmail,
} from "../../workers/templates.ts";
import { describeUserAgent } from "../../workers/user-agent.ts";
import type { AppDeps } from "../app.ts";
import { resetUrl } from "./password-reset.ts";
import { verifyUrl } from "./verification.ts";

export const LINK_EMAIL = "identity.link-email";

const origin = (e: StoredEvent): RequestOrigin => ({
  at: e.recordedAt,
  ip: e.metadata.ip,
  userAgent: e.metadata.userAgent,
});

const linkJobSchema = z.object({
  purpose: z.enum(["verify_email", "password_reset"]),
  eventId: z.uuid(),
  to: z.email(),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  // A kind (workers/templates.ts resetReasonKind), not the admin's free text; older jobs may hold text.
  reason: z.string().max(200).optional(),
  ip: z.string().max(64).nullable(),
  /** The device in Vigil's words (describeUserAgent): the raw User-Agent stays out of the queue. */
  device: z.string().max(64).nullable().optional(),
  /** Jobs queued before `device` existed; described at send time. */
  userAgent: z.string().max(512).nullable().optional(),
});
type LinkJob = z.infer<typeof linkJobSchema>;

function linkJob(
  e: StoredEvent,
  purpose: LinkJob["purpose"],
  to: string,
  expiresAt: string,
  reason?: string,
) {
  const data: LinkJob = {
    purpose,
    eventId: e.eventId,
    to,
    issuedAt: e.recordedAt.toISOString(),
    expiresAt,
    ...(reason === undefined ? {} : { reason: resetReasonKind(reason) }),
    ip: e.metadata.ip,
    device: e.metadata.userAgent ? describeUserAgent(e.metadata.userAgent) : null,
  };
  return eventJob(e, LINK_EMAIL, data);
}

export const identityJobRoutes: JobRoute[] = [
  {
    eventType: "EmailVerificationRequested",
    jobs(e) {
      const d = e.data as EventOf<typeof EmailVerificationRequested>["data"];
      return [linkJob(e, "verify_email", d.email, d.expiresAt)];
    },
  },
  {
    eventType: "PasswordResetRequested",
    jobs(e) {
      const d = e.data as EventOf<typeof PasswordResetRequested>["data"];
      return [linkJob(e, "password_reset", d.email, d.expiresAt, d.reason)];
    },
  },
  {
    eventType: "PasswordChanged",
    jobs(e) {
      const d = e.data as EventOf<typeof PasswordChanged>["data"];
      return [eventJob(e, EMAIL_SEND, passwordChangedEmail(d.email, "changed", origin(e)))];
    },
  },
  {
    eventType: "PasswordResetCompleted",
    jobs(e) {
      const d = e.data as EventOf<typeof PasswordResetCompleted>["data"];
      return [eventJob(e, EMAIL_SEND, passwordChangedEmail(d.email, "reset", origin(e)))];
    },
  },
  {
    eventType: "LoginSucceeded",
    jobs(e) {
      const d = e.data as EventOf<typeof LoginSucceeded>["data"];
      if (d.deviceTrusted) return [];
      return [eventJob(e, EMAIL_SEND, newSignInEmail(d.email, origin(e)))];
    },
  },
  {
    eventType: "AccountLocked",
    jobs(e) {
      const d = e.data as EventOf<typeof AccountLocked>["data"];
      return [eventJob(e, EMAIL_SEND, accountLockedEmail(d.email, d, origin(e)))];
    },
  },
];

/** The `identity.link-email` handler: derives the token, builds the link, sends. */
export function linkEmailHandler(deps: AppDeps, mailer: Mailer): JobHandler {
  return async (data, ctx) => {
    const parsed = linkJobSchema.safeParse(data);
    if (!parsed.success) throw new PermanentJobError("invalid link-email job");
    if (!deps.auth) throw new PermanentJobError("link emails need AppDeps.auth (the link key)");
    const j = parsed.data;
    const token = await deps.auth.links.derive(j.purpose, j.eventId);
    const issuedAt = new Date(j.issuedAt);
    const expiresAt = new Date(j.expiresAt);
    // A retry after the link expired would send a dead link: drop it instead.
    if (expiresAt.getTime() <= deps.clock.now().getTime())
      throw new PermanentJobError("link expired before it was sent");
    const msg =
      j.purpose === "verify_email"
        ? verificationEmail(j.to, verifyUrl(deps, token), issuedAt, expiresAt)
        : passwordResetEmail(
            j.to,
            resetUrl(deps, token),
            issuedAt,
            expiresAt,
            j.reason ?? "forgot_password",
            // `device` is already described; describing it again keeps it in Vigil's words.
            { at: issuedAt, ip: j.ip, userAgent: j.device ?? j.userAgent ?? null },
          );
    await mailer.send(msg, { key: ctx.id });
  };
}

export function identityJobHandlers(deps: AppDeps, mailer: Mailer): Record<string, JobHandler> {
  return { [LINK_EMAIL]: linkEmailHandler(deps, mailer) };
}
