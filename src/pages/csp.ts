/**
 * The hosted pages' Content-Security-Policy: a fresh nonce per response, and a
 * script is allowed only when it carries it. The pages never inline a script
 * (the nonce is on `<script src>` tags), so an injected tag, which cannot know
 * the nonce, does not run. Styles come from Vigil itself; fetches go only back
 * to Vigil's API; no form is submitted natively and nothing may frame a page.
 */
import { base64url } from "@scure/base";

export function newNonce(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(18)));
}

export function pageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
