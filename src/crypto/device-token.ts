/**
 * Device cookies (OWASP "Slow Brute Force and Account Lockout" bypass): after a
 * successful login the browser gets a token bound to that user, and a login
 * presenting a valid one is exempt from the account lockout, so strangers
 * cannot lock a user out of the devices they actually use.
 *
 * Format: `d1.<base64url(16-byte device id)>.<issuedAt seconds>.<base64url(HMAC-SHA-256)>`.
 * The user id is bound by the MAC but not written into the cookie, so the
 * cookie does not reveal whose it is; `verify` is given the user id to check.
 */
import { base64UrlDecode, base64UrlEncode, randomBytes, utf8 } from "./random.ts";

export interface DeviceTokens {
  issue(userId: string): Promise<string>;
  /** false for another user's token, a tampered, expired, future-dated or malformed one. */
  verify(token: string, userId: string): Promise<boolean>;
  /** The device id in a token (unverified), e.g. to count failures per device cookie. */
  deviceIdOf(token: string): string | null;
}

export interface DeviceTokenOptions {
  /** HMAC key, at least 32 bytes (e.g. derived from ENCRYPTION_KEY, or its own secret). */
  key: Uint8Array;
  clock: () => Date;
  /** Lifetime (default 90 days). */
  ttlSeconds?: number;
}

const PREFIX = "d1";
const DOMAIN = "vigil:device-token:v1";
const TOKEN = /^d1\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
const CLOCK_SKEW_SECONDS = 5;

export function createDeviceTokens(opts: DeviceTokenOptions): DeviceTokens {
  if (!(opts.key instanceof Uint8Array) || opts.key.length < 32) {
    throw new Error("device tokens: key must be at least 32 bytes");
  }
  const ttlSeconds = opts.ttlSeconds ?? 90 * 24 * 60 * 60;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new RangeError("ttlSeconds must be a positive integer");
  const hmacKey = crypto.subtle.importKey(
    "raw",
    new Uint8Array(opts.key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  // Length-prefixed fields: no two (userId, deviceId, issuedAt) triples share an encoding.
  const message = (userId: string, deviceId: string, issuedAt: string) =>
    utf8([DOMAIN, userId, deviceId, issuedAt].map((f) => `${f.length}:${f}`).join("|"));
  const now = () => Math.floor(opts.clock().getTime() / 1000);

  return {
    async issue(userId) {
      if (typeof userId !== "string" || userId.length === 0) throw new TypeError("userId is required");
      const deviceId = base64UrlEncode(randomBytes(16));
      const issuedAt = String(now());
      const mac = await crypto.subtle.sign("HMAC", await hmacKey, message(userId, deviceId, issuedAt));
      return `${PREFIX}.${deviceId}.${issuedAt}.${base64UrlEncode(new Uint8Array(mac))}`;
    },

    async verify(token, userId) {
      if (typeof token !== "string" || typeof userId !== "string" || userId.length === 0) return false;
      const m = TOKEN.exec(token);
      if (!m) return false;
      const [, deviceId, issuedAt, macText] = m as unknown as [string, string, string, string];
      const age = now() - Number(issuedAt);
      if (age < -CLOCK_SKEW_SECONDS || age >= ttlSeconds) return false;
      let mac: Uint8Array<ArrayBuffer>;
      try {
        mac = base64UrlDecode(macText);
      } catch {
        return false;
      }
      // subtle.verify compares in constant time.
      return crypto.subtle.verify("HMAC", await hmacKey, mac, message(userId, deviceId, issuedAt));
    },

    deviceIdOf(token) {
      const m = typeof token === "string" ? TOKEN.exec(token) : null;
      return m ? m[1]! : null;
    },
  };
}
