/**
 * TOTP (RFC 6238) through the otpauth library: SHA-1, 6 digits, 30-second
 * steps, one step of drift either way. `matchStep` says WHICH step a code
 * belongs to, so the caller can refuse any step at or before the last one
 * accepted (a code works once, and never after a later one).
 */
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

export const TOTP_ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD = 30;
export const TOTP_WINDOW = 1;
export const ISSUER = "Vigil";

/** A new secret: 20 random bytes (RFC 4226's recommended length), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export const timeStepAt = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_PERIOD);

function totp(secretBase32: string, label = "account"): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });
}

export function otpauthUri(secretBase32: string, accountName: string): string {
  return totp(secretBase32, accountName).toString();
}

export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

/** The code for a moment (tests and tooling). */
export function codeAt(secretBase32: string, nowMs: number): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}

/** The time step the code belongs to, within ±TOTP_WINDOW of now; null when it matches none. */
export function matchStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : timeStepAt(nowMs) + delta;
}
