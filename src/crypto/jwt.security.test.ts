/**
 * Forged and broken access tokens. Each case builds the attack for real (jose
 * or WebCrypto) and must be refused with a TokenError carrying a stable code.
 */
import { base64url, generateKeyPair, type JWTHeaderParameters, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createKeyring } from "./aead.ts";
import { createTokenIssuer, JwtKeys, memoryKeyStoreBackend, TokenError, type TokenIssuer } from "./jwt.ts";
import { randomBytes, utf8 } from "./random.ts";

const ISS = "https://vigil.test";
const AUD = "vigil-api";
let now = new Date("2030-01-01T00:00:00Z").getTime();
const clock = () => new Date(now);
const epoch = () => Math.floor(now / 1000);

let keys: JwtKeys;
let issuer: TokenIssuer;
let kid: string;
let goodToken: string;

const enc = (value: unknown) => base64url.encode(utf8(JSON.stringify(value)));

function claims(overrides: Partial<JWTPayload> = {}): JWTPayload {
  const iat = epoch();
  return {
    iss: ISS,
    aud: AUD,
    sub: "victim",
    sid: "s1",
    roles: ["admin"],
    jti: "j1",
    iat,
    exp: iat + 300,
    ...overrides,
  };
}

async function signWith(
  key: CryptoKey | Uint8Array,
  payload: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt", ...header } as JWTHeaderParameters)
    .sign(key);
}

async function refused(token: string, expected: "token_invalid" | "token_expired" = "token_invalid") {
  let caught: unknown;
  try {
    await issuer.verifyAccess(token);
  } catch (error) {
    caught = error;
  }
  expect(caught, `accepted: ${String(token).slice(0, 60)}`).toBeInstanceOf(TokenError);
  expect((caught as TokenError).code).toBe(expected);
  // Nothing from the token or the key is echoed in the public message.
  expect((caught as TokenError).message).toMatch(/^access token (invalid|expired)$/);
}

beforeAll(async () => {
  const keyring = createKeyring([{ id: "k1", key: randomBytes(32) }], "k1");
  keys = await JwtKeys.open({ backend: memoryKeyStoreBackend(), keyring, clock, accessTtlSeconds: 900 });
  issuer = createTokenIssuer({ keys, issuer: ISS, audience: AUD, clock, ttlSeconds: 900 });
  kid = keys.current().kid;
  goodToken = (await issuer.signAccess({ sub: "victim", sid: "s1", roles: ["user"] })).token;
  await expect(issuer.verifyAccess(goodToken)).resolves.toMatchObject({ sub: "victim" });
});

describe("verifyAccess refuses", () => {
  it("alg none (unsecured JWT), with and without a kid", async () => {
    await refused(`${enc({ alg: "none", typ: "at+jwt", kid })}.${enc(claims())}.`);
    await refused(`${enc({ alg: "none", typ: "at+jwt", kid })}.${enc(claims())}.AAAA`);
    await refused(`${enc({ alg: "none" })}.${enc(claims())}.`);
    await refused(`${enc({ alg: "NONE", kid, typ: "at+jwt" })}.${enc(claims())}.AAAA`);
  });

  it("HS256 signed with the public key as the HMAC secret (algorithm confusion)", async () => {
    const jwk = keys.jwks().keys[0]!;
    for (const secret of [utf8(JSON.stringify(jwk)), base64url.decode(jwk.x!), utf8(jwk.x!)]) {
      await refused(await signWith(secret, claims(), { alg: "HS256" }));
    }
  });

  it("RS256 and ES256 tokens, and the fully-specified Ed25519 alg name", async () => {
    const rsa = await generateKeyPair("RS256");
    await refused(await signWith(rsa.privateKey, claims(), { alg: "RS256" }));
    const ec = await generateKeyPair("ES256");
    await refused(await signWith(ec.privateKey, claims(), { alg: "ES256" }));
    // Our own key, but under an alg value we do not issue.
    await refused(await signWith(keys.current().privateKey, claims(), { alg: "Ed25519" }));
  });

  it("another Ed25519 key reusing our kid", async () => {
    const attacker = await generateKeyPair("Ed25519");
    await refused(await signWith(attacker.privateKey, claims()));
  });

  it("unknown kid, missing kid, non-string kid", async () => {
    const signing = keys.current().privateKey;
    await refused(await signWith(signing, claims(), { kid: "not-a-key" }));
    await refused(await signWith(signing, claims(), { kid: undefined }));
    await refused(await signWith(signing, claims(), { kid: 1 as unknown as string }));
  });

  it("an embedded jwk or jku header does not choose the key", async () => {
    const attacker = await generateKeyPair("Ed25519", { extractable: true });
    const { exportJWK } = await import("jose");
    const jwk = await exportJWK(attacker.publicKey);
    await refused(await signWith(attacker.privateKey, claims(), { jwk, kid: undefined }));
    await refused(
      await signWith(attacker.privateKey, claims(), { jku: "https://evil.example/jwks", kid: "evil" }),
    );
  });

  it("wrong issuer, wrong audience, missing issuer or audience", async () => {
    const signing = keys.current().privateKey;
    await refused(await signWith(signing, claims({ iss: "https://evil.example" })));
    await refused(await signWith(signing, claims({ aud: "other-api" })));
    await refused(await signWith(signing, claims({ iss: undefined })));
    await refused(await signWith(signing, claims({ aud: undefined })));
  });

  it("wrong or missing typ (e.g. an ID token or a plain JWT)", async () => {
    const signing = keys.current().privateKey;
    await refused(await signWith(signing, claims(), { typ: "JWT" }));
    await refused(await signWith(signing, claims(), { typ: undefined }));
    await refused(await signWith(signing, claims(), { typ: "refresh+jwt" }));
  });

  it("expired tokens, judged by the injected clock", async () => {
    const signing = keys.current().privateKey;
    await refused(
      await signWith(signing, claims({ iat: epoch() - 400, exp: epoch() - 100 })),
      "token_expired",
    );
    const { token } = await issuer.signAccess({ sub: "u", sid: "s", roles: [] });
    const saved = now;
    now += 901_000 + 5_000;
    try {
      await refused(token, "token_expired");
    } finally {
      now = saved;
    }
  });

  it("tokens from the future (nbf or iat beyond the 5 s tolerance)", async () => {
    const signing = keys.current().privateKey;
    await refused(await signWith(signing, claims({ nbf: epoch() + 60 })));
    await refused(await signWith(signing, claims({ iat: epoch() + 60, exp: epoch() + 360 })));
    // Within tolerance is fine.
    await expect(
      issuer.verifyAccess(await signWith(signing, claims({ iat: epoch() + 3 }))),
    ).resolves.toBeTruthy();
  });

  it("a long-lived token minted with our key beyond the access TTL", async () => {
    const signing = keys.current().privateKey;
    await refused(
      await signWith(signing, claims({ iat: epoch() - 3600, exp: epoch() + 3600 })),
      "token_expired",
    );
  });

  it("missing or mistyped claims", async () => {
    const signing = keys.current().privateKey;
    await refused(await signWith(signing, claims({ exp: undefined })));
    await refused(await signWith(signing, claims({ iat: undefined })));
    await refused(await signWith(signing, claims({ sub: undefined })));
    await refused(await signWith(signing, claims({ sid: undefined })));
    await refused(await signWith(signing, claims({ jti: undefined })));
    await refused(await signWith(signing, claims({ roles: "admin" })));
    await refused(await signWith(signing, claims({ roles: [1] })));
  });

  it("an edited payload (privilege escalation) or signature", async () => {
    const [h, p, s] = goodToken.split(".") as [string, string, string];
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    await refused(`${h}.${enc({ ...payload, roles: ["admin"] })}.${s}`);
    await refused(`${h}.${enc({ ...payload, sub: "someone-else" })}.${s}`);
    await refused(`${h}.${enc({ ...payload, exp: payload.exp + 86400 })}.${s}`);
    const sig = base64url.decode(s);
    sig[0]! ^= 1;
    await refused(`${h}.${p}.${base64url.encode(sig)}`);
    await refused(`${h}.${p}.`);
    await refused(`${h}.${p}`);
    // Header edits break the signature too.
    await refused(
      `${enc({ ...JSON.parse(new TextDecoder().decode(base64url.decode(h))), typ: "at+JWT" })}.${p}.${s}`,
    );
  });

  it("crit headers we do not understand (signed by our own key, so only the crit check can refuse)", async () => {
    const signingInput = `${enc({ alg: "EdDSA", kid, typ: "at+jwt", crit: ["x-vigil"], "x-vigil": 1 })}.${enc(claims())}`;
    const signature = await crypto.subtle.sign("Ed25519", keys.current().privateKey, utf8(signingInput));
    await refused(`${signingInput}.${base64url.encode(new Uint8Array(signature))}`);
  });

  it("garbage and non-strings", async () => {
    const inputs: unknown[] = [
      "",
      "abc",
      "a.b.c",
      "...",
      "ey.ey.ey",
      `${goodToken}.extra`,
      `${goodToken} `,
      "x".repeat(10_000),
      goodToken.replace(/\./g, "%2E"),
      `${enc([1, 2])}.${enc(claims())}.AAAA`,
      `${enc("str")}.${enc(claims())}.AAAA`,
      null,
      undefined,
      42,
      {},
    ];
    for (const input of inputs) await refused(input as string);
  });
});
