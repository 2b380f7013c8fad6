/**
 * Emails after a worker crash, over real SMTP (the catcher) and the job queue's
 * retries: a job that is run again after its message was accepted does not
 * send it again, and the Message-ID is the same on every run of one job.
 * On PGlite always, and on real Postgres when TEST_DATABASE_URL is set.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { dbCases } from "../test/helpers/db.ts";
import { createSmtpMailer, EMAIL_SEND, type Mailer, sendEmail } from "./email.ts";
import { createInProcessQueue, type InProcessQueue } from "./in-process.ts";
import type { JobHandler } from "./queue.ts";
import { idempotentMailer, mailDomain, messageIdFor } from "./sent-emails.ts";
import { type SmtpCatcher, startSmtpCatcher } from "./testing/smtp-catcher.ts";

const FROM = "Vigil <no-reply@mail.example.com>";
const EVENT = "0193f1e2-7c1a-7aa0-9b1e-5f2c3d4e5f60";
const mail = { to: "ada@example.com", subject: "New sign-in to your Vigil account", text: "Hello" };

describe("mailDomain and messageIdFor", () => {
  it("derive a stable Message-ID from the job id and the From domain", () => {
    expect(mailDomain(FROM)).toBe("mail.example.com");
    expect(mailDomain("no-reply@Example.ORG")).toBe("example.org");
    expect(mailDomain("Vigil <broken>")).toBe("localhost");
    const id = messageIdFor(`${EVENT}/email.send`, FROM);
    expect(id).toBe(`<${EVENT}.email.send@mail.example.com>`);
    expect(messageIdFor(`${EVENT}/email.send`, FROM)).toBe(id);
    expect(messageIdFor(`${EVENT}/email.send/u-2`, FROM)).not.toBe(id);
  });
});

for (const c of dbCases()) {
  describe(`emails once per job (${c.name}, real SMTP)`, () => {
    let db: Db;
    let smtp: SmtpCatcher;
    let smtpMailer: Mailer;
    let queue: InProcessQueue;

    beforeEach(async () => {
      db = await c.make();
      smtp = await startSmtpCatcher();
      smtpMailer = createSmtpMailer({ url: smtp.url, from: FROM });
      queue = createInProcessQueue({ attempts: 4, backoffMs: 10 });
    });
    afterEach(async () => {
      await queue.close();
      await smtpMailer.close?.();
      await smtp.close();
      await db.close();
    });

    /** Runs `email.send` jobs whose worker "crashes" after sending on its first `crashes` runs. */
    function run(mailer: Mailer, crashes: number) {
      const send = sendEmail(mailer);
      let runs = 0;
      const handler: JobHandler = async (data, ctx) => {
        runs++;
        await send(data, ctx);
        if (ctx.attempt <= crashes) throw new Error("worker crashed before acknowledging the job");
      };
      queue.createRunner().start({ [EMAIL_SEND]: handler });
      return { runs: () => runs };
    }

    it("a job retried after its message was accepted sends it once, with the derived Message-ID", async () => {
      const r = run(idempotentMailer(smtpMailer, { db, from: FROM }), 2);
      await queue.enqueue({ name: EMAIL_SEND, id: `${EVENT}/${EMAIL_SEND}`, data: mail });
      await queue.drain();
      expect(r.runs()).toBe(3);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]!.headers["message-id"]).toBe(messageIdFor(`${EVENT}/${EMAIL_SEND}`, FROM));
      const rows = await db.query<{ job_id: string; message_id: string }>(
        "SELECT job_id, message_id FROM sent_emails",
      );
      expect(rows).toEqual([
        { job_id: `${EVENT}/${EMAIL_SEND}`, message_id: messageIdFor(`${EVENT}/${EMAIL_SEND}`, FROM) },
      ]);
    });

    it("without the record (the plain mailer) the same crash sends duplicates: the guard is what stops them", async () => {
      run(smtpMailer, 2);
      await queue.enqueue({ name: EMAIL_SEND, id: `${EVENT}/${EMAIL_SEND}`, data: mail });
      await queue.drain();
      expect(smtp.messages).toHaveLength(3);
    });

    it("different jobs of one event each send, with different Message-IDs", async () => {
      run(idempotentMailer(smtpMailer, { db, from: FROM }), 0);
      for (const admin of ["u-1", "u-2"]) {
        await queue.enqueue({ name: EMAIL_SEND, id: `${EVENT}/${EMAIL_SEND}/${admin}`, data: mail });
      }
      await queue.drain();
      const ids = smtp.messages.map((m) => m.headers["message-id"]).sort();
      expect(ids).toEqual([
        messageIdFor(`${EVENT}/${EMAIL_SEND}/u-1`, FROM),
        messageIdFor(`${EVENT}/${EMAIL_SEND}/u-2`, FROM),
      ]);
    });

    it("the crash window that remains: not recorded after the accept, a rerun sends again with the same Message-ID", async () => {
      // The record cannot be written (as if the worker died right after the server's 250).
      const noRecord: Db = {
        ...db,
        query: async <T>(text: string, params?: readonly unknown[]) => {
          if (text.includes("INSERT INTO sent_emails")) throw new Error("worker died before recording");
          return db.query<T>(text, params);
        },
      };
      const mailer = idempotentMailer(smtpMailer, { db: noRecord, from: FROM });
      const send = sendEmail(mailer);
      const ctx = { id: `${EVENT}/${EMAIL_SEND}`, name: EMAIL_SEND, attempt: 1, maxAttempts: 5 };
      await send(mail, ctx);
      await send(mail, { ...ctx, attempt: 2 });
      await smtp.waitFor(2);
      expect(new Set(smtp.messages.map((m) => m.headers["message-id"]))).toEqual(
        new Set([messageIdFor(ctx.id, FROM)]),
      );
    });

    it("a send the SMTP server refused is not recorded, so the retry sends it", async () => {
      const down = createSmtpMailer({ url: "smtp://127.0.0.1:1", from: FROM });
      const mailer = idempotentMailer(down, { db, from: FROM });
      await expect(mailer.send(mail, { key: `${EVENT}/${EMAIL_SEND}` })).rejects.toThrow();
      expect(await db.query("SELECT * FROM sent_emails")).toEqual([]);
      await idempotentMailer(smtpMailer, { db, from: FROM }).send(mail, { key: `${EVENT}/${EMAIL_SEND}` });
      expect(smtp.messages).toHaveLength(1);
      await down.close?.();
    });
  });
}
