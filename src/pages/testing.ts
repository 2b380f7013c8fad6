/** Test support for the hosted pages: the links the runtime mails. Not imported by runtime code. */
import type { CaughtMail, SmtpCatcher } from "../../workers/testing/smtp-catcher.ts";

/** The text body, decoded from the transfer encoding nodemailer chose. */
export function bodyText(m: CaughtMail): string {
  const enc = (m.headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (enc === "base64")
    return new TextDecoder().decode(
      Uint8Array.from(atob(m.body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
    );
  if (enc === "quoted-printable")
    return m.body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return m.body;
}

/** Path and query of the `origin + path?token=…` link in the first mail with that subject (waits for the worker). */
export async function linkIn(
  smtp: SmtpCatcher,
  subject: string,
  origin: string,
  path: string,
): Promise<string> {
  // Generous: a loaded CI runner can take a while to dispatch and send the mail.
  const until = Date.now() + 120_000;
  const pattern = new RegExp(`${origin.replaceAll(".", "\\.")}(${path}\\?token=[A-Za-z0-9_-]+)`);
  for (;;) {
    const mail = smtp.messages.find((m) => m.headers.subject === subject);
    const found = mail && pattern.exec(bodyText(mail));
    if (found) return found[1]!;
    if (Date.now() > until)
      throw new Error(`no ${path} link; got ${smtp.messages.map((m) => m.headers.subject)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
