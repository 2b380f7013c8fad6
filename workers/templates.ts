/**
 * Email bodies, one function per kind of email; each returns subject and text.
 *
 * A Vigil email is a message anyone can make Vigil send to anyone (a forgot-
 * password request costs nothing), so it carries only what Vigil derived:
 * the time, the client address as Vigil parsed it, a device described in
 * Vigil's own words (workers/user-agent.ts), a reason as one of Vigil's own
 * phrases. Never a User-Agent, display name or reason as a client typed it.
 */
import type { MailMessage } from "./email.ts";
import { describeUserAgent } from "./user-agent.ts";

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

/**
 * Where a request came from, for notices: time, IP (parsed and normalised by
 * the client-ip middleware, so an address and nothing else), and the raw
 * User-Agent, which is only ever shown as `describeUserAgent` describes it.
 */
export interface RequestOrigin {
  at: Date;
  ip?: string | null;
  userAgent?: string | null;
}

function originLines(o: RequestOrigin): string[] {
  const lines = [`Time: ${o.at.toISOString()}`];
  if (o.ip) lines.push(`IP address: ${o.ip}`);
  if (o.userAgent) lines.push(`Device: ${describeUserAgent(o.userAgent)}`);
  return lines;
}

/** Why a reset link was issued, as one of Vigil's phrases: an admin's free-text reason stays in the log. */
export type ResetReasonKind = "forgot_password" | "bootstrap" | "administrator";

export function resetReasonKind(reason: string | undefined): ResetReasonKind {
  if (reason === undefined || reason === "forgot_password") return "forgot_password";
  return reason.startsWith("bootstrap") ? "bootstrap" : "administrator";
}

export function newSignInEmail(to: string, origin: RequestOrigin): MailMessage {
  return {
    to,
    subject: "New sign-in to your Vigil account",
    text: [
      "Your account was just signed in to from a device we have not seen before.",
      "",
      ...originLines(origin),
      "",
      "If this was you, there is nothing to do. If not, change your password now and",
      "revoke the session from your session list.",
    ].join("\n"),
  };
}

export function accountLockedEmail(
  to: string,
  lock: { failures: number; until: string },
  origin: RequestOrigin,
): MailMessage {
  return {
    to,
    subject: "Your Vigil account was locked",
    text: [
      `After ${lock.failures} failed sign-in attempts in a row, password sign-in to your account`,
      `is locked until ${lock.until}.`,
      "",
      "Last attempt:",
      ...originLines(origin),
      "",
      "Devices you have signed in from before can still sign in. If these attempts were not",
      "yours, someone may be guessing your password: choose a strong, unique one. Resetting",
      "your password by email also lifts the lock.",
    ].join("\n"),
  };
}

const hoursOrMinutes = (from: Date, until: Date) => {
  const minutes = Math.round((until.getTime() - from.getTime()) / 60_000);
  return minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
};

export function verificationEmail(to: string, link: string, issuedAt: Date, expiresAt: Date): MailMessage {
  return {
    to,
    subject: "Confirm your email address for Vigil",
    text: [
      "Confirm that this address belongs to your Vigil account by opening this link:",
      "",
      link,
      "",
      `The link works once and expires in ${hoursOrMinutes(issuedAt, expiresAt)} (${expiresAt.toISOString()}).`,
      "A newer link replaces this one. If you did not create an account, ignore this email.",
    ].join("\n"),
  };
}

export function passwordResetEmail(
  to: string,
  link: string,
  issuedAt: Date,
  expiresAt: Date,
  reason: string,
  origin: RequestOrigin,
): MailMessage {
  const kind = resetReasonKind(reason);
  const requested =
    kind === "forgot_password"
      ? [
          "Someone (hopefully you) asked to reset the password of your Vigil account.",
          "",
          ...originLines(origin),
        ]
      : kind === "bootstrap"
        ? ["Your Vigil administrator account was created: choose its password."]
        : ["An administrator of Vigil asked you to set a new password for your account."];
  return {
    to,
    subject: "Reset your Vigil password",
    text: [
      ...requested,
      "",
      "Choose a new password here:",
      "",
      link,
      "",
      `The link works once and expires in ${hoursOrMinutes(issuedAt, expiresAt)} (${expiresAt.toISOString()}).`,
      "Setting a new password signs you out everywhere. If you did not ask for this, ignore this",
      "email: your password stays as it is.",
    ].join("\n"),
  };
}

export function passwordChangedEmail(
  to: string,
  how: "changed" | "reset",
  origin: RequestOrigin,
): MailMessage {
  return {
    to,
    subject: "Your Vigil password was changed",
    text: [
      how === "reset"
        ? "The password of your Vigil account was just reset with an emailed link; every session was signed out."
        : "The password of your Vigil account was just changed; your other sessions were signed out.",
      "",
      ...originLines(origin),
      "",
      "If this was not you, reset your password now and contact your administrator.",
    ].join("\n"),
  };
}
