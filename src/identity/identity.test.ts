/** Registration, login, lockout, /auth/me and the JWKS through app.request() on PGlite. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allProjections } from "../../projections/index.ts";
import { verifyProjections } from "../../projections/rebuild.ts";
import { client, FAST_ARGON2, type IdentityHarness, identityHarness, PASSWORD } from "./testing.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  h = await identityHarness();
  api = client(h.app);
});
afterEach(() => h.close());

const types = async () => (await h.events()).map((e) => e.type);

describe("POST /v1/auth/register", () => {
  it("creates the account, normalising the email, and records UserRegistered with a hash only", async () => {
    const res = await api.register("  Ada.Lovelace@Example.COM ", PASSWORD, "Ada");
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      email: "ada.lovelace@example.com",
      emailVerified: false,
      roles: ["user"],
      displayName: "Ada",
      createdAt: "2026-03-01T10:00:00.000Z",
    });
    const [e] = await h.events();
    expect(e).toMatchObject({ type: "UserRegistered", streamId: `user-${res.body!.id}` });
    expect((e!.data as { passwordHash: string }).passwordHash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(e)).not.toContain(PASSWORD);
  });

  it("refuses a second account for the same email, whatever its case, with 409 email_taken", async () => {
    expect((await api.register("ada@example.com", PASSWORD)).status).toBe(201);
    const again = await api.register("ADA@example.com ", PASSWORD);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "email_taken" });
    expect(await types()).toEqual(["UserRegistered", "EmailVerificationRequested"]);
  });

  it("lists invalid fields as validation_failed", async () => {
    const res = await api.call("POST", "/v1/auth/register", { email: "not-an-email", password: "" });
    expect(res.status).toBe(400);
    expect(res.body!.code).toBe("validation_failed");
    expect(res.body!.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "body.email",
      "body.password",
    ]);
  });

  it("refuses weak passwords with password_policy and the policy's issues", async () => {
    for (const weak of ["short", "password1234", "ada@example.com-1"]) {
      const res = await api.register("ada@example.com", weak);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "password_policy" });
      // Each broken rule once, in `errors`, with the policy's code.
      expect(res.body!.issues).toBeUndefined();
      expect(res.body!.errors.length).toBeGreaterThan(0);
      expect(res.body!.errors[0]).toMatchObject({
        path: "body.password",
        code: expect.stringMatching(/^password_/),
      });
    }
    expect(await h.events()).toEqual([]);
  });
});

describe("POST /v1/auth/login", () => {
  beforeEach(async () => {
    await api.register("ada@example.com", PASSWORD);
  });

  it("returns a token pair, the session and a device token; records LoginSucceeded and SessionStarted", async () => {
    const res = await api.login("Ada@Example.com", PASSWORD, { "User-Agent": "vitest-browser" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: "Bearer",
      expiresIn: 900,
      sessionId: expect.any(String),
      deviceToken: expect.stringMatching(/^d1\./),
    });
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await types()).toEqual([
      "UserRegistered",
      "EmailVerificationRequested",
      "LoginSucceeded",
      "SessionStarted",
    ]);
    const started = (await h.events())[3]!;
    expect(started.streamId).toBe(`session-${res.body!.sessionId}`);
    expect(started.data).toMatchObject({ userAgent: "vitest-browser", refreshTokenHash: expect.any(String) });
    expect(JSON.stringify(started)).not.toContain(res.body!.refreshToken);
    const me = await api.me(res.body!.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: "ada@example.com", roles: ["user"] });
  });

  it("counts down remaining attempts, locks at the fifth failure, and a device token bypasses the lock", async () => {
    const ok = await api.login("ada@example.com", PASSWORD);
    const device = { "X-Device-Token": ok.body!.deviceToken as string };

    const seen: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await api.login("ada@example.com", "wrong-password-guess");
      seen.push([r.status, r.body!.code, r.body!.remainingAttempts, r.headers.get("Retry-After")]);
    }
    expect(seen).toEqual([
      [401, "invalid_credentials", undefined, null],
      [401, "invalid_credentials", 3, null],
      [401, "invalid_credentials", 2, null],
      [401, "invalid_credentials", 1, null],
      [423, "account_locked", undefined, "1800"],
      [423, "account_locked", undefined, "1800"],
    ]);
    // A stranger with the right password is still locked out.
    h.clock.advance(60);
    const stranger = await api.login("ada@example.com", PASSWORD);
    expect(stranger.status).toBe(423);
    expect(stranger.headers.get("Retry-After")).toBe("1740");
    // The owner's device is not.
    const owner = await api.login("ada@example.com", PASSWORD, device);
    expect(owner.status).toBe(200);
    // ...and its success did not lift the lock for everyone else.
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(423);
    // Another user's device token does not help.
    await api.register("bob@example.com", PASSWORD);
    const bob = await api.login("bob@example.com", PASSWORD);
    expect(
      (await api.login("ada@example.com", PASSWORD, { "X-Device-Token": bob.body!.deviceToken })).status,
    ).toBe(423);
    // Once the lock runs out, the password works again.
    h.clock.advance(1800);
    expect((await api.login("ada@example.com", PASSWORD)).status).toBe(200);

    const log = await types();
    expect(log.filter((t) => t === "AccountLocked")).toHaveLength(1);
    const reasons = (await h.events())
      .filter((e) => e.type === "LoginFailed")
      .map((e) => (e.data as { reason: string }).reason);
    expect(reasons).toEqual([
      "invalid_password",
      "invalid_password",
      "invalid_password",
      "invalid_password",
      "invalid_password",
      "account_locked",
      "account_locked",
      "account_locked",
      "account_locked",
    ]);
  });

  it("answers unknown emails exactly like wrong passwords, and records them in a shard without the email", async () => {
    const real: unknown[] = [];
    const ghost: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await api.login("ada@example.com", "wrong-password-guess");
      const g = await api.login("nobody@example.com", "wrong-password-guess");
      const shape = (x: typeof r) => [
        x.status,
        x.body!.code,
        x.body!.remainingAttempts,
        x.headers.get("Retry-After"),
      ];
      real.push(shape(r));
      ghost.push(shape(g));
    }
    expect(ghost).toEqual(real);
    const unknown = (await h.events()).filter((e) => e.streamId.startsWith("login-unknown-"));
    expect(unknown).toHaveLength(6);
    expect(unknown[0]!.streamId).toMatch(/^login-unknown-[0-9a-f]$/);
    expect(unknown[0]!.data).toEqual({
      userId: null,
      emailHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      reason: "unknown_email",
    });
    expect(JSON.stringify(unknown)).not.toContain("nobody@example.com");
  });

  it("refuses a disabled account with 403 account_disabled (after the password is checked)", async () => {
    await h.db.query("UPDATE users SET status = 'disabled'");
    expect((await api.login("ada@example.com", "wrong-password-guess")).status).toBe(401);
    const res = await api.login("ada@example.com", PASSWORD);
    expect(res.status).toBe(403);
    expect(res.body!.code).toBe("account_disabled");
  });

  it("requires a verified email when REQUIRE_EMAIL_VERIFICATION is on", async () => {
    const strict = await identityHarness({ env: { REQUIRE_EMAIL_VERIFICATION: "true" } });
    try {
      const c = client(strict.app);
      await c.register("ada@example.com", PASSWORD);
      const res = await c.login("ada@example.com", PASSWORD);
      expect(res.status).toBe(403);
      expect(res.body!.code).toBe("email_not_verified");
      expect((await strict.events()).at(-1)!.data).toMatchObject({ reason: "email_not_verified" });
    } finally {
      await strict.close();
    }
  });

  it("rehashes a password made with old parameters at the next login", async () => {
    const upgraded = await identityHarness({
      db: h.db,
      clock: h.clock,
      passwordOptions: { ...FAST_ARGON2, memoryKiB: 1024 },
    });
    try {
      const res = await client(upgraded.app).login("ada@example.com", PASSWORD);
      expect(res.status).toBe(200);
      const log = await upgraded.events();
      expect(log.map((e) => e.type).slice(-3)).toEqual([
        "LoginSucceeded",
        "PasswordRehashed",
        "SessionStarted",
      ]);
      const [row] = await h.db.query<{ password_hash: string }>("SELECT password_hash FROM users");
      expect(row!.password_hash).toContain("m=1024");
      expect((await client(upgraded.app).login("ada@example.com", PASSWORD)).status).toBe(200);
    } finally {
      await upgraded.close();
    }
  });

  it("keeps at most 3 sessions: the 4th login revokes the oldest in the same transaction", async () => {
    const logins: { sessionId: string; accessToken: string; refreshToken: string }[] = [];
    for (let i = 0; i < 4; i++) {
      logins.push((await api.login("ada@example.com", PASSWORD)).body! as (typeof logins)[number]);
      h.clock.advance(1);
    }
    const oldest = logins[0]!;
    const revoked = (await h.events()).filter((e) => e.type === "SessionRevoked");
    expect(revoked.map((e) => e.data)).toEqual([
      { sessionId: oldest.sessionId, userId: expect.any(String), reason: "evicted" },
    ]);
    // Same transaction as the 4th login's events.
    const fourth = (await h.events()).find(
      (e) => (e.data as { sessionId?: string }).sessionId === logins[3]!.sessionId,
    );
    expect(revoked[0]!.position.txId).toBe(fourth!.position.txId);
    expect((await api.me(oldest.accessToken)).body!.code).toBe("session_revoked");
    expect((await api.refresh(oldest.refreshToken)).status).toBe(401);
    for (const l of logins.slice(1)) expect((await api.me(l.accessToken)).status).toBe(200);
  });

  it("leaves the projections exactly as a replay of the log rebuilds them", async () => {
    const a = await api.login("ada@example.com", PASSWORD);
    await api.login("ada@example.com", "wrong-password-guess");
    await api.refresh(a.body!.refreshToken);
    await api.refresh(a.body!.refreshToken);
    const diffs = await verifyProjections(
      { db: h.db, store: h.deps.store },
      allProjections.filter((p) => p.mode === "inline"),
    );
    expect(diffs).toEqual([]);
  });
});

describe("GET /v1/auth/me and the JWKS", () => {
  it("needs a bearer token", async () => {
    const res = await api.call("GET", "/v1/auth/me");
    expect(res.status).toBe(401);
    expect(res.body!.code).toBe("unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
  });

  it("serves the public signing keys, without private material", async () => {
    const res = await api.call("GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.body!.keys).toHaveLength(1);
    expect(res.body!.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(res.body!.keys[0].d).toBeUndefined();
  });

  it("documents every identity endpoint in /openapi.json", async () => {
    const doc = (await api.call("GET", "/openapi.json")).body!;
    for (const p of [
      "/v1/auth/register",
      "/v1/auth/login",
      "/v1/auth/refresh",
      "/v1/auth/logout",
      "/v1/auth/me",
      "/v1/sessions",
      "/v1/sessions/{id}",
      "/.well-known/jwks.json",
    ])
      expect(Object.keys(doc.paths)).toContain(p);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
