/**
 * Single-use email link tokens (verification, password reset), derived rather
 * than stored: `token = base64url(HMAC-SHA-256(key, purpose ‖ eventId))`, where
 * `eventId` is the id of the event that issued it. The event records only
 * SHA-256(token); the email job, holding the same key, derives the token again
 * from the event id when it builds the link. So the raw token exists in no
 * event, no job payload and no table — only in the email (and in the hands of
 * a caller that shows it, e.g. the bootstrap admin's set-password link).
 *
 * The key comes from ENCRYPTION_KEY through HKDF with its own label, so it is
 * independent of the device-token key and the at-rest encryption key.
 */
import { base64UrlEncode, utf8 } from "./random.ts";

export type LinkPurpose = "verify_email" | "password_reset" | "custody_invitation";

export interface LinkTokens {
  /** The token for the event `eventId` issued for `purpose` (256 bits, base64url). */
  derive(purpose: LinkPurpose, eventId: string): Promise<string>;
}

const DOMAIN = "vigil:link-token:v1";

export function createLinkTokens(key: Uint8Array): LinkTokens {
  if (!(key instanceof Uint8Array) || key.length < 32)
    throw new Error("link tokens: key must be >= 32 bytes");
  const hmacKey = crypto.subtle.importKey(
    "raw",
    new Uint8Array(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return {
    async derive(purpose, eventId) {
      if (!eventId) throw new TypeError("eventId is required");
      const message = utf8([DOMAIN, purpose, eventId].map((f) => `${f.length}:${f}`).join("|"));
      return base64UrlEncode(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey, message)));
    },
  };
}
