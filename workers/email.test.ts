import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createMemoryMailer,
  createOutboxMailer,
  createSmtpMailer,
  outboxDir,
  readOutbox,
  sendEmail,
} from "./email.ts";
import { createMailer } from "./index.ts";
import { PermanentJobError } from "./queue.ts";
import { type SmtpCatcher, startSmtpCatcher } from "./testing/smtp-catcher.ts";

const ctx = { id: "j", name: "email.send", attempt: 1, maxAttempts: 5 };

describe("SMTP mailer", () => {
  let catcher: SmtpCatcher;
  beforeEach(async () => {
    catcher = await startSmtpCatcher();
  });
  afterEach(async () => {
    await catcher.close();
  });

  it("delivers through nodemailer to the SMTP server", async () => {
    const mailer = createSmtpMailer({ url: catcher.url, from: "Vigil <vigil@example.com>" });
    await mailer.send({
      to: "sec@example.com",
      subject: "Chain broken",
      text: "Stream user-42 broke first.",
    });
    const [mail] = await catcher.waitFor(1);
    expect(mail!.from).toBe("vigil@example.com");
    expect(mail!.to).toEqual(["sec@example.com"]);
    expect(mail!.headers.to).toBe("sec@example.com");
    expect(mail!.headers.from).toBe("Vigil <vigil@example.com>");
    expect(mail!.headers.subject).toBe("Chain broken");
    expect(mail!.body).toContain("Stream user-42 broke first.");
    await mailer.close?.();
  });

  it("sends the html part when there is one", async () => {
    const mailer = createMailer({ smtpUrl: catcher.url, from: "vigil@example.com", dataDir: "unused" });
    expect(mailer.kind).toBe("smtp");
    await mailer.send({ to: "a@example.com", subject: "Hi", text: "plain", html: "<p>rich</p>" });
    const [mail] = await catcher.waitFor(1);
    expect(mail!.headers["content-type"]).toMatch(/multipart\/alternative/);
    expect(mail!.body).toContain("<p>rich</p>");
    await mailer.close?.();
  });

  it("the email.send job sends through the mailer", async () => {
    const mailer = createSmtpMailer({ url: catcher.url, from: "vigil@example.com" });
    await sendEmail(mailer)({ to: "b@example.com", subject: "Job", text: "from a job" }, ctx);
    const [mail] = await catcher.waitFor(1);
    expect(mail!.headers.subject).toBe("Job");
    await mailer.close?.();
  });

  it("a send error rejects, so the job is retried", async () => {
    const mailer = createSmtpMailer({ url: "smtp://127.0.0.1:1", from: "vigil@example.com" });
    const sending = sendEmail(mailer)({ to: "b@example.com", subject: "x", text: "y" }, ctx);
    await expect(sending).rejects.toThrow();
    await expect(sending).rejects.not.toBeInstanceOf(PermanentJobError);
    await mailer.close?.();
  });
});

describe("email.send job data", () => {
  it("is validated; bad data fails permanently and sends nothing", async () => {
    const mailer = createMemoryMailer();
    const send = sendEmail(mailer);
    for (const bad of [
      null,
      { to: "not-an-email", subject: "s", text: "t" },
      { to: "a@example.com", subject: "two\r\nBcc: evil@example.com", text: "t" },
      { to: "a@example.com", subject: "", text: "t" },
    ]) {
      await expect(send(bad, ctx)).rejects.toBeInstanceOf(PermanentJobError);
    }
    expect(mailer.sent).toEqual([]);
    await send({ to: "a@example.com", subject: "ok", text: "t" }, ctx);
    expect(mailer.sent).toEqual([{ to: "a@example.com", subject: "ok", text: "t" }]);
  });
});

describe("development outbox", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vigil-outbox-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("writes one JSON file per message under <dataDir>/outbox, read back newest first", async () => {
    const mailer = createMailer({ from: "Vigil <no-reply@localhost>", dataDir });
    expect(mailer.kind).toBe("outbox");
    expect(await readOutbox(outboxDir(dataDir))).toEqual([]);
    for (const n of [1, 2, 3]) {
      await mailer.send({ to: `u${n}@example.com`, subject: `Message ${n}`, text: `body ${n}` });
    }
    const files = await readdir(join(dataDir, "outbox"));
    expect(files.filter((f) => f.endsWith(".json"))).toHaveLength(3);
    expect(files.some((f) => f.endsWith(".tmp"))).toBe(false);

    const messages = await readOutbox(outboxDir(dataDir));
    expect(messages.map((m) => m.subject)).toEqual(["Message 3", "Message 2", "Message 1"]);
    expect(messages[0]).toMatchObject({
      from: "Vigil <no-reply@localhost>",
      to: "u3@example.com",
      text: "body 3",
    });
    expect(Number.isNaN(Date.parse(messages[0]!.createdAt))).toBe(false);
    expect(await readOutbox(outboxDir(dataDir), { limit: 1 })).toHaveLength(1);
  });

  it("an outbox mailer can write anywhere", async () => {
    const dir = join(dataDir, "elsewhere");
    await createOutboxMailer({ dir, from: "x@localhost" }).send({
      to: "a@example.com",
      subject: "s",
      text: "t",
    });
    expect((await readOutbox(dir))[0]).toMatchObject({ to: "a@example.com", from: "x@localhost" });
  });

  it("a memory:// data dir keeps mail in memory", () => {
    expect(createMailer({ from: "x@localhost", dataDir: "memory://" }).kind).toBe("memory");
  });
});
