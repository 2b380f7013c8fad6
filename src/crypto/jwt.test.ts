import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { createKeyring } from "./aead.ts";
import { createTokenIssuer, JwtKeys, memoryKeyStoreBackend, TokenError } from "./jwt.ts";
import { randomBytes } from "./random.ts";

const TTL = 900;
const T0 = new Date("2030-01-01T00:00:00Z");

function setup(
  backend = memoryKeyStoreBackend(),
  keyring = createKeyring([{ id: "k1", key: randomBytes(32) }], "k1"),
) {
  let now = T0.getTime();
  const clock = () => new Date(now);
  const advance = (seconds: number) => {
    now += seconds * 1000;
  };
  return { backend, keyring, clock, advance };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as TokenError).code;
  }
  throw new Error("expected a TokenError");
}

describe("access tokens", () => {
  it("signs and verifies a round trip with the RFC 9068 header and all claims", async () => {
    const { backend, keyring, clock } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    const issuer = createTokenIssuer({ keys, issuer: "https://vigil.test", audience: "vigil-api", clock });
    const { token, expiresIn, jti } = await issuer.signAccess({
      sub: "user-1",
      sid: "sess-1",
      roles: ["user", "admin"],
    });
    expect(expiresIn).toBe(900);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "EdDSA", kid: keys.current().kid, typ: "at+jwt" });
    const claims = await issuer.verifyAccess(token);
    const iat = T0.getTime() / 1000;
    expect(claims).toEqual({
      sub: "user-1",
      sid: "sess-1",
      roles: ["user", "admin"],
      jti,
      iat,
      exp: iat + 900,
      iss: "https://vigil.test",
      aud: "vigil-api",
    });
    expect(Object.keys(decodeJwt(token)).sort()).toEqual([
      "aud",
      "exp",
      "iat",
      "iss",
      "jti",
      "roles",
      "sid",
      "sub",
    ]);
  });

  it("gives every token its own jti", async () => {
    const { backend, keyring, clock } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    const issuer = createTokenIssuer({ keys, issuer: "i", audience: "a", clock });
    const a = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });
    const b = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });
    expect(a.jti).not.toBe(b.jti);
  });

  it("expires by the injected clock, with a small tolerance", async () => {
    const { backend, keyring, clock, advance } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    const issuer = createTokenIssuer({ keys, issuer: "i", audience: "a", clock, ttlSeconds: 60 });
    const { token } = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });
    advance(62); // 2 s past exp: inside the 5 s tolerance
    await expect(issuer.verifyAccess(token)).resolves.toMatchObject({ sub: "u" });
    advance(10);
    expect(await code(issuer.verifyAccess(token))).toBe("token_expired");
  });

  it("refuses a ttl longer than the key grace period", async () => {
    const { backend, keyring, clock } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: 300 });
    expect(() => createTokenIssuer({ keys, issuer: "i", audience: "a", clock, ttlSeconds: 900 })).toThrow(
      RangeError,
    );
  });
});

describe("signing keys", () => {
  it("generates a key on first open, stores it encrypted, and reuses it after a restart", async () => {
    const { backend, keyring, clock } = setup();
    const first = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    expect(backend.rows).toHaveLength(1);
    const row = backend.rows[0]!;
    expect(row.kid).toBe(first.current().kid);
    expect(row.privateJwkEncrypted).toMatch(/^v1\.k1\./);
    expect(JSON.stringify(row)).not.toMatch(/"d"/);
    expect(row.publicJwk).not.toHaveProperty("d");

    const issuer1 = createTokenIssuer({ keys: first, issuer: "i", audience: "a", clock });
    const { token } = await issuer1.signAccess({ sub: "u", sid: "s", roles: [] });
    const second = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    expect(second.current().kid).toBe(first.current().kid);
    expect(backend.rows).toHaveLength(1);
    const issuer2 = createTokenIssuer({ keys: second, issuer: "i", audience: "a", clock });
    await expect(issuer2.verifyAccess(token)).resolves.toMatchObject({ sub: "u" });
  });

  it("fails loudly when the stored key cannot be decrypted, or retires it when asked to", async () => {
    const { backend, keyring, clock } = setup();
    await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    const otherRing = createKeyring([{ id: "k1", key: randomBytes(32) }], "k1");
    await expect(JwtKeys.open({ backend, keyring: otherRing, clock, accessTtlSeconds: TTL })).rejects.toThrow(
      /cannot be decrypted/,
    );
    const keys = await JwtKeys.open({
      backend,
      keyring: otherRing,
      clock,
      accessTtlSeconds: TTL,
      retireUndecryptable: true,
    });
    expect(backend.rows).toHaveLength(2);
    expect(backend.rows[0]!.retiredAt).toEqual(T0);
    expect(keys.current().kid).toBe(backend.rows[1]!.kid);
  });

  it("rotation keeps old tokens valid until one TTL after retirement, then drops the key from the JWKS", async () => {
    const { backend, keyring, clock, advance } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    const issuer = createTokenIssuer({ keys, issuer: "i", audience: "a", clock });
    const oldKey = keys.current();
    const { token: oldToken } = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });

    advance(60);
    const newKey = await keys.rotate();
    expect(newKey.kid).not.toBe(oldKey.kid);
    expect(keys.current().kid).toBe(newKey.kid);
    expect(backend.rows.find((r) => r.kid === oldKey.kid)!.retiredAt).toEqual(clock());
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([newKey.kid, oldKey.kid]);

    const { token: newToken } = await issuer.signAccess({ sub: "u2", sid: "s2", roles: [] });
    expect(decodeProtectedHeader(newToken).kid).toBe(newKey.kid);
    advance(600);
    await expect(issuer.verifyAccess(oldToken)).resolves.toMatchObject({ sub: "u" });
    await expect(issuer.verifyAccess(newToken)).resolves.toMatchObject({ sub: "u2" });

    // A restarted instance sees the same picture.
    const reopened = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    expect(reopened.current().kid).toBe(newKey.kid);
    expect(reopened.jwks().keys.map((k) => k.kid)).toEqual([newKey.kid, oldKey.kid]);

    advance(TTL - 600 + 1); // one TTL after retirement
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([newKey.kid]);
    // Even a token the old key signs now (fresh iat/exp) no longer verifies.
    const { SignJWT } = await import("jose");
    const now = Math.floor(clock().getTime() / 1000);
    const late = await new SignJWT({ sid: "s", roles: [] })
      .setProtectedHeader({ alg: "EdDSA", kid: oldKey.kid, typ: "at+jwt" })
      .setIssuer("i")
      .setAudience("a")
      .setSubject("u")
      .setJti("j")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(oldKey.privateKey);
    expect(await code(issuer.verifyAccess(late))).toBe("token_invalid");
  });

  it("publishes only public parts in the JWKS", async () => {
    const { backend, keyring, clock } = setup();
    const keys = await JwtKeys.open({ backend, keyring, clock, accessTtlSeconds: TTL });
    await keys.rotate();
    for (const jwk of keys.jwks().keys) {
      expect(Object.keys(jwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
      expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    }
  });

  it("picks up a rotation made by another instance", async () => {
    const { backend, keyring, clock, advance } = setup();
    const a = await JwtKeys.open({
      backend,
      keyring,
      clock,
      accessTtlSeconds: TTL,
      refreshIntervalSeconds: 30,
    });
    const b = await JwtKeys.open({
      backend,
      keyring,
      clock,
      accessTtlSeconds: TTL,
      refreshIntervalSeconds: 30,
    });
    const issuerA = createTokenIssuer({ keys: a, issuer: "i", audience: "a", clock });
    const issuerB = createTokenIssuer({ keys: b, issuer: "i", audience: "a", clock });
    advance(1);
    const rotated = await b.rotate();
    const { token } = await issuerB.signAccess({ sub: "u", sid: "s", roles: [] });
    advance(31);
    // A has never seen B's new kid: it re-reads the store once and accepts.
    await expect(issuerA.verifyAccess(token)).resolves.toMatchObject({ sub: "u" });
    expect(a.current().kid).toBe(rotated.kid);
  });

  it("loads keys from configuration; the first signs, later ones only verify", async () => {
    const { clock } = setup();
    const { exportJWK, generateKeyPair } = await import("jose");
    const jwkOf = async (kid: string) => ({
      ...(await exportJWK((await generateKeyPair("Ed25519", { extractable: true })).privateKey)),
      kid,
    });
    const current = await jwkOf("cfg-2");
    const previous = await jwkOf("cfg-1");
    const { d: _d, ...previousPublic } = previous;
    const keys = await JwtKeys.fromPrivateJwks(JSON.stringify({ keys: [current, previousPublic] }), {
      clock,
      accessTtlSeconds: TTL,
    });
    expect(keys.current().kid).toBe("cfg-2");
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual(["cfg-2", "cfg-1"]);
    await expect(keys.rotate()).rejects.toThrow(/configuration/);

    const issuer = createTokenIssuer({ keys, issuer: "i", audience: "a", clock });
    const { token } = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });
    await expect(issuer.verifyAccess(token)).resolves.toMatchObject({ sub: "u" });

    await expect(JwtKeys.fromPrivateJwks("{nope", { clock, accessTtlSeconds: TTL })).rejects.toThrow(/JSON/);
    await expect(
      JwtKeys.fromPrivateJwks(JSON.stringify([previousPublic]), { clock, accessTtlSeconds: TTL }),
    ).rejects.toThrow(/private/);
    const mismatched = { ...current, x: previous.x };
    await expect(
      JwtKeys.fromPrivateJwks(JSON.stringify(mismatched), { clock, accessTtlSeconds: TTL }),
    ).rejects.toThrow();
  });
});
