/**
 * A bounded memo of access tokens already verified, so a client's repeated
 * requests skip the Ed25519 verification (the largest CPU cost of an
 * authenticated request). Safe because a verified token's claims never change:
 * an entry is used only until the token's `exp`, and revocation is checked on
 * every request anyway (SessionGuard / sessions row). A retired signing key
 * keeps verifying for a whole access-token lifetime, so no cached token outlives
 * its key either.
 */
import type { AccessClaims } from "../crypto/jwt.ts";

export class VerifiedTokens {
  readonly #entries = new Map<string, AccessClaims>();
  constructor(private readonly max = 10_000) {}

  get(token: string, now: Date): AccessClaims | undefined {
    const claims = this.#entries.get(token);
    if (!claims) return undefined;
    if (claims.exp * 1000 <= now.getTime()) {
      this.#entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessClaims): void {
    if (this.#entries.size >= this.max) {
      // Oldest first (insertion order): evict a slice rather than one per insert.
      let drop = Math.ceil(this.max / 10);
      for (const key of this.#entries.keys()) {
        this.#entries.delete(key);
        if (--drop === 0) break;
      }
    }
    this.#entries.set(token, claims);
  }

  get size(): number {
    return this.#entries.size;
  }
}
