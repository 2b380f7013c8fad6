/**
 * EdDSA (Ed25519) access tokens, RFC 9068 style: header `{ alg: "EdDSA", kid,
 * typ: "at+jwt" }`, claims iss/aud/sub/sid/roles/jti/iat/exp.
 *
 * Verification trusts nothing in the token to choose how to verify it: the
 * algorithm is pinned to EdDSA, the key comes only from our own key set by
 * kid, and iss, aud, typ and the time claims are all checked against the
 * injected clock. Every failure is a TokenError with a stable code.
 */
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import type { JwtKeys } from "./jwt-keys.ts";

export type { JWK, JwtKeysOptions, KeyStoreBackend, SigningKey, StoredKey } from "./jwt-keys.ts";
export { JwtKeys, memoryKeyStoreBackend } from "./jwt-keys.ts";

export interface AccessClaims {
  sub: string;
  sid: string;
  roles: string[];
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface TokenIssuer {
  signAccess(input: { sub: string; sid: string; roles: string[] }): Promise<{
    token: string;
    expiresIn: number;
    jti: string;
  }>;
  verifyAccess(token: string): Promise<AccessClaims>;
}

export type TokenErrorCode = "token_invalid" | "token_expired";

/** `code` is for clients; `reason` is for logs only (never echo it in a response). */
export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    readonly reason: string,
  ) {
    super(code === "token_expired" ? "access token expired" : "access token invalid");
    this.name = "TokenError";
  }
}

export interface TokenIssuerOptions {
  keys: JwtKeys;
  issuer: string;
  audience: string;
  /** Access token lifetime (default 900 s); may not exceed the keys' accessTtlSeconds. */
  ttlSeconds?: number;
  clock: () => Date;
  /** Allowed clock skew for exp/nbf/iat (default 5 s). */
  clockToleranceSeconds?: number;
}

const ALG = "EdDSA";
const TYP = "at+jwt";
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const stringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((r) => typeof r === "string");

export function createTokenIssuer(opts: TokenIssuerOptions): TokenIssuer {
  const { keys, issuer, audience, clock } = opts;
  const ttlSeconds = opts.ttlSeconds ?? 900;
  const tolerance = opts.clockToleranceSeconds ?? 5;
  if (!nonEmpty(issuer) || !nonEmpty(audience))
    throw new Error("token issuer: issuer and audience are required");
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new RangeError("ttlSeconds must be a positive integer");
  if (ttlSeconds > keys.accessTtlSeconds) {
    // A retired key stops verifying accessTtlSeconds after retirement: longer tokens would die early.
    throw new RangeError("ttlSeconds may not exceed the JwtKeys accessTtlSeconds");
  }

  const invalid = (reason: string) => new TokenError("token_invalid", reason);

  return {
    async signAccess({ sub, sid, roles }) {
      if (!nonEmpty(sub) || !nonEmpty(sid) || !stringArray(roles)) {
        throw new TypeError("signAccess: sub and sid must be non-empty strings, roles a string array");
      }
      await keys.refreshIfStale();
      const key = keys.current();
      const iat = Math.floor(clock().getTime() / 1000);
      const jti = crypto.randomUUID();
      const token = await new SignJWT({ sid, roles: [...roles] })
        .setProtectedHeader({ alg: ALG, kid: key.kid, typ: TYP })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setJti(jti)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key.privateKey);
      return { token, expiresIn: ttlSeconds, jti };
    },

    async verifyAccess(token) {
      if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
        throw invalid("not a compact JWS");
      }
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw invalid("undecodable header");
      }
      if (header.alg !== ALG) throw invalid(`alg ${String(header.alg)} not allowed`);
      if (!nonEmpty(header.kid)) throw invalid("missing kid");
      const key = await keys.verificationKey(header.kid);
      if (!key) throw invalid("unknown kid");

      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [ALG],
          issuer,
          audience,
          typ: TYP,
          currentDate: clock(),
          clockTolerance: tolerance,
          // Requires iat and refuses one in the future (beyond tolerance) or older than a token can live.
          maxTokenAge: ttlSeconds,
          requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new TokenError("token_expired", error.message);
        if (error instanceof errors.JOSEError) throw invalid(`${error.code}: ${error.message}`);
        throw invalid("verification failed");
      }

      const { sub, sid, roles, jti, iat, exp } = payload;
      if (!nonEmpty(sub) || !nonEmpty(sid) || !nonEmpty(jti) || !stringArray(roles)) {
        throw invalid("claims of the wrong type");
      }
      if (typeof iat !== "number" || typeof exp !== "number") throw invalid("time claims of the wrong type");
      return { sub, sid, roles, jti, iat, exp, iss: issuer, aud: audience };
    },
  };
}
