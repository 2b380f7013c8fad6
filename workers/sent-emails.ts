/**
 * Emails sent at most once per job, as far as the transport allows.
 *
 * Jobs are at least once: a worker that crashes after the SMTP server accepted a
 * message, but before the queue heard the job was done, runs it again. So the
 * idempotent mailer
 *
 * 1. gives every message a Message-ID derived from the job id (itself derived
 *    from the event id, workers/dispatcher.ts): a retry carries the same one;
 * 2. reads `sent_emails` before sending and skips a job already recorded there;
 * 3. records the job in `sent_emails` once the server accepted the message.
 *
 * What remains at least once: a crash (or a failed write) between the server's
 * acceptance and the record. The retry then sends again, with the same
 * Message-ID, which mail stores and clients use to fold duplicates. Closing that
 * window would need the SMTP server to take part in a transaction; no SMTP
 * server does. Sending only after recording would trade duplicates for lost mail.
 */
import type { Logger } from "pino";
import type { Db } from "../db/client.ts";
import type { Mailer, MailMessage, SendOptions } from "./email.ts";

export interface IdempotentMailerOptions {
  db: Db;
  /** The From address (MAIL_FROM): its domain is the Message-ID's right-hand side. */
  from: string;
  logger?: Pick<Logger, "info" | "warn">;
}

/** The domain of a From address such as `Vigil <no-reply@example.com>`; `localhost` when it has none. */
export function mailDomain(from: string): string {
  const address = /<([^>]*)>/.exec(from)?.[1] ?? from;
  const domain = address.split("@")[1]?.trim().toLowerCase() ?? "";
  return /^[a-z0-9.-]+$/.test(domain) ? domain : "localhost";
}

/** `<job-id-with-dots@domain>`: stable for a job, so every retry of it carries the same Message-ID. */
export function messageIdFor(jobId: string, from: string): string {
  const local = jobId.replace(/[^A-Za-z0-9.-]+/g, ".").replace(/^\.+|\.+$/g, "") || "vigil";
  return `<${local}@${mailDomain(from)}>`;
}

/** Wraps a mailer: sends with a key are sent once per key (see the module comment). */
export function idempotentMailer(inner: Mailer, opts: IdempotentMailerOptions): Mailer {
  const { db, logger } = opts;
  return {
    kind: inner.kind,
    close: inner.close?.bind(inner),
    async send(msg: MailMessage, sendOpts?: SendOptions) {
      const key = sendOpts?.key;
      if (!key) return inner.send(msg, sendOpts);
      const done = await db.query<{ message_id: string }>(
        "SELECT message_id FROM sent_emails WHERE job_id = $1",
        [key],
      );
      if (done.length > 0) {
        logger?.info({ job: key }, "email already sent for this job; not sending it again");
        return;
      }
      const messageId = messageIdFor(key, opts.from);
      await inner.send({ ...msg, messageId }, sendOpts);
      try {
        await db.query(
          `INSERT INTO sent_emails (job_id, message_id, sent_at) VALUES ($1, $2, now())
           ON CONFLICT (job_id) DO NOTHING`,
          [key, messageId],
        );
      } catch (err) {
        // The message is out: failing the job now would only send it again.
        logger?.warn(
          { err, job: key },
          "email sent but not recorded; a rerun of this job would send it again",
        );
      }
    },
  };
}
