/**
 * Email: the `Mailer` port, its three implementations (SMTP through nodemailer,
 * a development outbox of JSON files, and memory for tests), and the
 * `email.send` job handler that the dispatcher's routes feed.
 */
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import { z } from "zod";
import { ERASED } from "../events/pii.ts";
import { type JobHandler, PermanentJobError } from "./queue.ts";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** `<local@domain>`; stable across retries of one job (workers/sent-emails.ts), so receivers can drop a duplicate. */
  messageId?: string;
}

export interface SendOptions {
  /** The job's id: the idempotency key of an idempotent mailer (workers/sent-emails.ts). */
  key?: string;
}

export interface Mailer {
  readonly kind: "smtp" | "outbox" | "memory";
  /** Resolves once the transport accepted the message (SMTP: the server's 250 after DATA). */
  send(msg: MailMessage, opts?: SendOptions): Promise<void>;
  close?(): Promise<void>;
}

export const EMAIL_SEND = "email.send";

// A header value may not carry a line break: that is how headers get injected.
const oneLine = z.string().regex(/^[^\r\n]*$/, "must be a single line");

export const mailMessageSchema = z.object({
  to: z.email(),
  subject: oneLine.min(1).max(200),
  text: z.string().min(1).max(100_000),
  html: z.string().max(500_000).optional(),
});

/** The `email.send` job: data is a MailMessage; bad data fails at once, a send error retries. */
export function sendEmail(mailer: Mailer): JobHandler {
  return async (data, ctx) => {
    // The address was read from an event after its owner was erased: nobody to write to.
    if ((data as { to?: unknown } | null)?.to === ERASED) return;
    const parsed = mailMessageSchema.safeParse(data);
    if (!parsed.success) {
      throw new PermanentJobError(
        `invalid email job: ${parsed.error.issues.map((i) => i.message).join("; ")}`,
      );
    }
    await mailer.send(parsed.data, { key: ctx.id });
  };
}

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:587 or smtps://…:465 */
  url: string;
  from: string;
}

export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const transport = createTransport(opts.url);
  return {
    kind: "smtp",
    async send(msg) {
      await transport.sendMail({
        from: opts.from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
        ...(msg.messageId ? { messageId: msg.messageId } : {}),
      });
    },
    async close() {
      transport.close();
    },
  };
}

export interface OutboxMessage extends MailMessage {
  id: string;
  from: string;
  createdAt: string;
}

export function outboxDir(dataDir: string): string {
  return join(dataDir, "outbox");
}

let seq = 0;

/** Development mail: each message becomes `<dir>/<time>-<n>.json`, read back with `readOutbox`. */
export function createOutboxMailer(opts: { dir: string; from: string }): Mailer {
  return {
    kind: "outbox",
    async send(msg) {
      await mkdir(opts.dir, { recursive: true });
      const now = new Date();
      // Sortable by name: the time, then a counter for messages within one millisecond.
      const id = `${now.toISOString().replaceAll(":", "-")}-${String(seq++ % 1e6).padStart(6, "0")}`;
      const message: OutboxMessage = { id, from: opts.from, ...msg, createdAt: now.toISOString() };
      const file = join(opts.dir, `${id}.json`);
      // Written then renamed, so a reader never sees half a message.
      await writeFile(`${file}.tmp`, `${JSON.stringify(message, null, 2)}\n`);
      await rename(`${file}.tmp`, file);
    },
  };
}

/** The outbox's messages, newest first; none when the directory does not exist yet. */
export async function readOutbox(dir: string, opts: { limit?: number } = {}): Promise<OutboxMessage[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return [];
    throw err;
  }
  const files = names
    .filter((n) => n.endsWith(".json"))
    .sort()
    .reverse()
    .slice(0, opts.limit ?? Number.POSITIVE_INFINITY);
  return Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as OutboxMessage),
  );
}

export interface MemoryMailer extends Mailer {
  readonly sent: MailMessage[];
}

export function createMemoryMailer(): MemoryMailer {
  const sent: MailMessage[] = [];
  return {
    kind: "memory",
    sent,
    async send(msg) {
      sent.push({ ...msg });
    },
  };
}
