/** Email bodies, one function per kind of email; each returns subject and text. */
import type { MailMessage } from "./email.ts";

export interface ChainBreak {
  streams: number;
  events: number;
  broken: number;
  firstBreak: { streamId: string; version: number; reason: string } | null;
}

export function chainBrokenEmail(
  to: string,
  check: ChainBreak,
  at: { eventId: string; recordedAt: Date },
): MailMessage {
  const first = check.firstBreak;
  const where = first
    ? `The first break is in stream ${first.streamId} at version ${first.version}: ${first.reason}.`
    : "The check did not report where the first break is.";
  const s = check.broken === 1 ? "" : "s";
  return {
    to,
    subject: `[Vigil] Event log hash chain broken in ${check.broken} stream${s}`,
    text: [
      `A hash-chain verification of the Vigil event log found ${check.broken} broken stream${s}`,
      `(${check.streams} streams and ${check.events} events checked).`,
      "",
      where,
      "",
      "A broken chain means stored events no longer match their hashes: the log may have been",
      "altered outside Vigil. Preserve the database as it is and investigate before repairing anything.",
      "",
      `Verification event: ${at.eventId}, recorded ${at.recordedAt.toISOString()}.`,
    ].join("\n"),
  };
}
