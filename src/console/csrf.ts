/**
 * CSRF defence for every state-changing console form, in two independent layers:
 *
 * 1. Where the request comes from: a browser's `Sec-Fetch-Site` must be
 *    `same-origin`; without it, an `Origin` header must name this host. A
 *    sibling site on the same registrable domain (same-site, so SameSite
 *    cookies still travel) is refused here.
 * 2. A synchroniser token bound to the session: HMAC-SHA-256 of the session id
 *    under a key derived from ENCRYPTION_KEY (HKDF, its own label). It is in
 *    every form and compared in constant time; without the key it cannot be
 *    made, and it is worthless for any other session.
 *
 * The sign-in forms have no session yet: they get layer 1 and the SameSite=Strict
 * pre-session cookie of the TOTP step.
 */
import type { Context } from "hono";
import type { AppDeps } from "../app.ts";
import { base64UrlEncode, timingSafeEqual, utf8 } from "../crypto/random.ts";
import type { AppEnv } from "../http/env.ts";
import { AppError } from "../http/errors.ts";

const DEV_KEY_LABEL = "vigil development encryption key (public)";
const keys = new WeakMap<object, Promise<CryptoKey>>();

async function hmacKey(deps: AppDeps): Promise<CryptoKey> {
  let key = keys.get(deps.config);
  if (!key) {
    key = (async () => {
      const master =
        deps.config.encryptionKeys?.[0]?.key ??
        new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(DEV_KEY_LABEL)));
      const base = await crypto.subtle.importKey("raw", new Uint8Array(master), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: utf8("vigil console csrf") },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    keys.set(deps.config, key);
  }
  return key;
}

export async function csrfToken(deps: AppDeps, sessionId: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(deps), utf8(`console-csrf\n${sessionId}`));
  return base64UrlEncode(new Uint8Array(mac));
}

const refused = (why: string) => new AppError("forbidden", `Refused: ${why}`);

/**
 * Layer 1: the request must come from a page of this origin. `Sec-Fetch-Site`
 * is set by the browser and cannot be changed by a page, so where it is sent
 * it decides. Without it (older browsers), an `Origin` must name this host; the
 * console's `Referrer-Policy: no-referrer` makes browsers send `Origin: null`
 * on form posts, so `null` is accepted only together with `same-origin`.
 */
export function checkOrigin(c: Context<AppEnv>): void {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined) {
    if (site !== "same-origin") throw refused("the form was not sent from this console");
    return;
  }
  const origin = c.req.header("Origin");
  // Host, not scheme: behind a TLS-terminating proxy the request URL says http.
  const host = c.req.header("Host") ?? new URL(c.req.url).host;
  if (origin !== undefined && hostOf(origin) !== host) throw refused("the form was sent from another origin");
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** Layer 2: the form's token must be this session's. */
export async function checkCsrf(c: Context<AppEnv>, deps: AppDeps, presented: unknown): Promise<void> {
  checkOrigin(c);
  const expected = await csrfToken(deps, c.get("auth").sessionId);
  if (typeof presented !== "string" || !timingSafeEqual(presented, expected)) {
    throw refused("the form's security token is missing or stale; reload the page");
  }
}
