/**
 * Attacks on the bearer check: forged and altered access tokens, revoked
 * sessions, a guard that lost its memory, and secrets leaking into the log.
 */
import { base64url, SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "../identity/testing.ts";
import { memorySessionGuard } from "./session-guard.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
let session: { accessToken: string; refreshToken: string; sessionId: string; deviceToken: string };
let userId: string;

beforeEach(async () => {
  h = await identityHarness();
  api = client(h.app);
  userId = (await api.register("ada@example.com", PASSWORD)).body!.id;
  const res = await api.login("ada@example.com", PASSWORD);
  session = res.body! as typeof session;
});
afterEach(() => h.close());

const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
const claims = () => ({
  sub: userId,
  sid: session.sessionId,
  roles: ["user", "admin"],
  jti: crypto.randomUUID(),
  iss: "vigil",
  aud: "vigil",
  iat: Math.floor(h.clock.now().getTime() / 1000),
  exp: Math.floor(h.clock.now().getTime() / 1000) + 900,
});

/** Signed with Vigil's real key, with whatever header and claims the test wants. */
async function signReal(payload: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const key = h.deps.auth.keys.current();
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt", ...header })
    .sign(key.privateKey);
}

async function refused(token: string, code: string) {
  const res = await api.me(token);
  expect(res.status).toBe(401);
  expect(res.body!.code).toBe(code);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="vigil"/);
}

describe("forged access tokens", () => {
  it("accepts the genuine token (control)", async () => {
    expect((await api.me(session.accessToken)).status).toBe(200);
    expect((await api.me(await signReal(claims()))).status).toBe(200);
  });

  it("refuses alg none", async () => {
    const kid = h.deps.auth.keys.current().kid;
    await refused(`${enc({ alg: "none", kid, typ: "at+jwt" })}.${enc(claims())}.`, "token_invalid");
    await refused(`${enc({ alg: "none", kid, typ: "at+jwt" })}.${enc(claims())}.AAAA`, "token_invalid");
  });

  it("refuses HS256 signed with the public key as the HMAC secret", async () => {
    const jwk = h.deps.auth.keys.jwks().keys[0]!;
    for (const secret of [base64url.decode(jwk.x!), new TextEncoder().encode(JSON.stringify(jwk))]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: jwk.kid!, typ: "at+jwt" })
        .sign(secret);
      await refused(token, "token_invalid");
    }
  });

  it("refuses an unknown kid, and a key of our own shape that is not ours", async () => {
    await refused(await signReal(claims(), { kid: "not-a-vigil-key" }), "token_invalid");
    const { generateKeyPair } = await import("jose");
    const stranger = await generateKeyPair("Ed25519");
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: "EdDSA", kid: h.deps.auth.keys.current().kid, typ: "at+jwt" })
      .sign(stranger.privateKey);
    await refused(token, "token_invalid");
  });

  it("refuses the wrong issuer, audience or typ", async () => {
    await refused(await signReal({ ...claims(), iss: "someone-else" }), "token_invalid");
    await refused(await signReal({ ...claims(), aud: "another-api" }), "token_invalid");
    await refused(await signReal(claims(), { typ: "JWT" }), "token_invalid");
  });

  it("refuses a tampered payload (roles escalated) under the original signature", async () => {
    const [header, payload, sig] = session.accessToken.split(".");
    const body = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    const forged = `${header}.${enc({ ...body, roles: ["user", "admin"] })}.${sig}`;
    await refused(forged, "token_invalid");
    // A flipped character inside the signature (the last ones only carry S's always-zero top bits).
    const i = session.accessToken.length - 20;
    const flipped = session.accessToken[i] === "A" ? "B" : "A";
    await refused(
      `${session.accessToken.slice(0, i)}${flipped}${session.accessToken.slice(i + 1)}`,
      "token_invalid",
    );
  });

  it("refuses an expired token (injected clock) with token_expired", async () => {
    h.clock.advance(899);
    expect((await api.me(session.accessToken)).status).toBe(200);
    // Past exp and the issuer's 5 s leeway.
    h.clock.advance(10);
    await refused(session.accessToken, "token_expired");
  });

  it("refuses garbage, other schemes and API keys (not yet supported here)", async () => {
    for (const header of ["Basic YWRhOnB3", "Bearer", "Bearer not.a.jwt", `Token ${session.accessToken}`]) {
      const res = await api.call("GET", "/v1/auth/me", undefined, { Authorization: header });
      expect(res.status).toBe(401);
    }
    const key = await api.call("GET", "/v1/auth/me", undefined, { Authorization: "Bearer mk_abc" });
    expect(key.body!.code).toBe("unauthorized");
  });

  it("refuses a validly signed token naming a session that does not exist", async () => {
    await refused(await signReal({ ...claims(), sid: crypto.randomUUID() }), "session_revoked");
  });
});

describe("revocation", () => {
  it("refuses a revoked session's unexpired token on the very next request", async () => {
    const other = (await api.login("ada@example.com", PASSWORD)).body!;
    const del = await api.call(
      "DELETE",
      `/v1/sessions/${session.sessionId}`,
      undefined,
      api.bearer(other.accessToken),
    );
    expect(del.status).toBe(204);
    await refused(session.accessToken, "session_revoked");
  });

  it("falls back to the sessions row when the guard knows nothing (a restart)", async () => {
    const other = (await api.login("ada@example.com", PASSWORD)).body!;
    await api.call("DELETE", `/v1/sessions/${session.sessionId}`, undefined, api.bearer(other.accessToken));
    // A fresh process: same database, empty in-memory guard.
    const restarted = await identityHarness({ db: h.db, clock: h.clock, guard: memorySessionGuard(h.clock) });
    try {
      const c = client(restarted.app);
      const res = await c.me(session.accessToken);
      expect(res.status).toBe(401);
      expect(res.body!.code).toBe("session_revoked");
      expect((await c.me(other.accessToken)).status).toBe(200);
    } finally {
      await restarted.close();
    }
  });
});

describe("no secrets in the log", () => {
  it("never writes a password, raw refresh token, access token or device token to events or log lines", async () => {
    const rotated = (await api.refresh(session.refreshToken)).body!;
    await api.refresh(session.refreshToken); // reuse
    await api.login("ada@example.com", "wrong-password-guess");
    await api.login("nobody@example.com", "another-wrong-guess");
    await api.register("ada@example.com", PASSWORD);
    await api.register("eve@example.com", "password");
    await api.me("garbage.token.value");
    const secrets = [
      PASSWORD,
      "wrong-password-guess",
      "another-wrong-guess",
      session.refreshToken,
      session.accessToken,
      session.deviceToken,
      rotated.refreshToken,
      rotated.accessToken,
    ];
    const events = JSON.stringify(await h.events());
    const lines = h.logLines.join("\n");
    expect(h.logLines.length).toBeGreaterThan(5);
    for (const s of secrets) {
      expect(events).not.toContain(s);
      expect(lines).not.toContain(s);
    }
    const keys = await h.db.query<{ private_jwk_encrypted: string }>(
      "SELECT private_jwk_encrypted FROM jwt_keys",
    );
    expect(keys[0]!.private_jwk_encrypted).toMatch(/^v1\.dev\./);
    expect(keys[0]!.private_jwk_encrypted).not.toContain('"d"');
  });
});
