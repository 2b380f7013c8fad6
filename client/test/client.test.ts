/**
 * @vigil/client against a live Vigil: the whole runtime (background workers,
 * SMTP to an in-process catcher) served over HTTP on 127.0.0.1 and an
 * ephemeral port, on Postgres (and Redis) when TEST_DATABASE_URL (and
 * TEST_REDIS_URL) are set, else on the embedded database. The client talks to
 * it through fetch only, as in a browser or Deno.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { principalsFor } from "../../src/access/principals.ts";
import { createApp } from "../../src/app.ts";
import { background } from "../../src/background.ts";
import { features } from "../../src/features.ts";
import { userById, userStream } from "../../src/identity/user.ts";
import { codeAt } from "../../src/mfa/totp.ts";
import { buildRuntime, type Runtime } from "../../src/runtime.ts";
import { systemMeta } from "../../test/fixtures/events.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { type HttpServer, listen } from "../../test/helpers/http-server.ts";
import { type CaughtMail, type SmtpCatcher, startSmtpCatcher } from "../../workers/testing/smtp-catcher.ts";
import {
  createVigilClient,
  RefreshTokenReusedError,
  SessionEndedError,
  unwrap,
  type VigilClient,
  VigilError,
} from "../src/index.ts";

const PASSWORD = "plum-harbour-velvet-42";
const ACCESS_TTL = 60;

let rt: Runtime;
let db: Db | undefined;
let smtp: SmtpCatcher;
let server: HttpServer;
/** The server's clock runs this far ahead of real time (to expire access tokens without waiting). */
let skewMs = 0;

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  db = TEST_DATABASE_URL ? await postgresDb() : undefined;
  rt = await buildRuntime(
    {
      NODE_ENV: "test",
      SMTP_URL: smtp.url,
      PUBLIC_URL: "https://app.example.com",
      REQUIRE_EMAIL_VERIFICATION: "true",
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL),
      // Each test user logs in from 127.0.0.1 many times: the IP limits are not under test here.
      RATE_LIMITS_ENABLED: "false",
      // Production argon2 on a busy CI machine: slow answers are not what this suite tests.
      REQUEST_TIMEOUT_MS: "120000",
      ...(db ? {} : { DATA_DIR: "memory://" }),
      ...(db && TEST_REDIS_URL
        ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `vigil-client-test-${crypto.randomUUID()}` }
        : {}),
    },
    { db, skipMigrate: Boolean(db), extensions: [background({ pollMs: 20 })] },
  );
  const clock = rt.deps.clock as { now: () => Date };
  clock.now = () => new Date(Date.now() + skewMs);
  const app = createApp(rt.deps, features);
  server = await listen((req) => app.fetch(req));
}, 180_000);

afterAll(async () => {
  await server?.close();
  await rt?.close();
  await db?.close();
  await smtp?.close();
});

/** A client whose requests are counted by `METHOD /path`. */
function counted(): { client: VigilClient; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const client = createVigilClient({
    baseUrl: server.base,
    fetch: (req) => {
      const key = `${req.method} ${new URL(req.url).pathname}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return fetch(req);
    },
  });
  return { client, calls };
}

function bodyText(m: CaughtMail): string {
  const enc = (m.headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (enc === "base64")
    return new TextDecoder().decode(
      Uint8Array.from(atob(m.body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
    );
  if (enc === "quoted-printable")
    return m.body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return m.body;
}

async function mailedToken(to: string, path: string): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    for (const m of smtp.messages.filter((x) => x.to.includes(to))) {
      const hit = new RegExp(`${path}\\?token=([A-Za-z0-9_-]{43})`).exec(bodyText(m));
      if (hit) return hit[1]!;
    }
    if (Date.now() > until) throw new Error(`no ${path} mail for ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Registers and verifies through the client; returns a signed-in client. */
async function verifiedUser(email: string) {
  const { client, calls } = counted();
  await client.register({ email, password: PASSWORD });
  const token = await mailedToken(email, "/verify-email");
  await unwrap(client.api.POST("/v1/auth/email/verify", { body: { token } }));
  const login = await client.login(email, PASSWORD);
  expect(login.mfaRequired).toBe(false);
  return { client, calls };
}

/** Grants roles through the same event the admin API appends. */
async function grant(userId: string, role: "admin") {
  const user = await userById(rt.deps.db, userId);
  await rt.deps.store.append(
    userStream(userId),
    user!.version,
    [{ type: "UserRoleGranted", data: { userId, role, reason: "client test" } }],
    systemMeta,
  );
  principalsFor(rt.deps as Parameters<typeof principalsFor>[0]).invalidate(userId);
}

describe("@vigil/client against a live server", () => {
  it("register, verify by the mailed link, TOTP, login with the TOTP step, API keys, alerts", async () => {
    const { client } = counted();
    const user = await client.register({ email: "ada@example.com", password: PASSWORD, displayName: "Ada" });
    expect(user).toMatchObject({ email: "ada@example.com", emailVerified: false });

    // Not verified yet: a typed error with the stable code.
    const refused = await client.login("ada@example.com", PASSWORD).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VigilError);
    expect(refused).toMatchObject({ status: 403, code: "email_not_verified" });

    const token = await mailedToken("ada@example.com", "/verify-email");
    expect(await unwrap(client.api.POST("/v1/auth/email/verify", { body: { token } }))).toMatchObject({
      emailVerified: true,
    });
    const signedIn = await client.login("ada@example.com", PASSWORD);
    expect(signedIn.mfaRequired).toBe(false);
    expect((await client.me()).email).toBe("ada@example.com");

    // Two-factor on, through the typed operations.
    const setup = await unwrap(client.api.POST("/v1/mfa/totp/setup"));
    const enabled = await unwrap(
      client.api.POST("/v1/mfa/totp/enable", { body: { code: codeAt(setup.secret, Date.now()) } }),
    );
    expect(enabled.backupCodes.length).toBeGreaterThan(0);
    await client.logout();
    expect(client.tokens).toBeNull();

    // Login now asks for the second step.
    const first = await client.login("ada@example.com", PASSWORD);
    if (!first.mfaRequired) throw new Error("expected the TOTP step");
    // The next time step: the current one was spent enabling two-factor.
    await client.verifyMfa(first.mfaToken, { code: codeAt(setup.secret, Date.now() + 30_000) });
    expect(client.tokens?.accessToken).toBeTruthy();

    // API keys: create one, then use it from a client that holds only the key.
    const created = await unwrap(client.api.POST("/v1/api-keys", { body: { name: "ci", scopes: ["read"] } }));
    expect(created.key).toMatch(/^mk_/);
    const keyClient = createVigilClient({ baseUrl: server.base, apiKey: created.key });
    const keys = await unwrap(keyClient.api.GET("/v1/api-keys"));
    expect(keys.apiKeys.map((k) => k.name)).toEqual(["ci"]);

    // Alerts: an admin (with two-factor, as admin endpoints require) reads them.
    await grant(user.id, "admin");
    const alerts = await unwrap(client.api.GET("/v1/security/alerts", { params: { query: {} } }));
    expect(Array.isArray(alerts.alerts)).toBe(true);
    const bad = await unwrap(
      client.api.GET("/v1/security/alerts/{id}", { params: { path: { id: "nope" } } }),
    ).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, code: "validation_failed" });
  });

  it("problem+json answers become typed errors with their code and field issues", async () => {
    const { client } = counted();
    await client.register({ email: "bob@example.com", password: PASSWORD });
    const taken = await client
      .register({ email: "bob@example.com", password: PASSWORD })
      .catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(VigilError);
    expect(taken).toMatchObject({ status: 409, code: "email_taken" });

    const misspelt = await unwrap(
      client.api.POST("/v1/auth/register", {
        // A client built from an old document, or a typo through `any`.
        body: { email: "carol@example.com", pasword: PASSWORD } as never,
      }),
    ).catch((e: unknown) => e as VigilError);
    expect(misspelt).toMatchObject({ status: 400, code: "validation_failed" });
    expect((misspelt as VigilError).errors).toEqual([
      { path: "body.password", message: "password is required" },
      { path: "body.pasword", message: "pasword is not a known field; did you mean password?" },
    ]);

    const weak = await client
      .register({ email: "dan@example.com", password: "short" })
      .catch((e: unknown) => e);
    expect(weak).toMatchObject({ status: 400, code: "password_policy" });
    expect((weak as VigilError).errors[0]).toMatchObject({
      path: "body.password",
      code: "password_too_short",
    });

    const wrong = await client.login("bob@example.com", "not-the-password").catch((e: unknown) => e);
    expect(wrong).toMatchObject({ status: 401, code: "invalid_credentials" });
  });

  it("refreshes an expired access token once for many concurrent callers", async () => {
    const { client, calls } = await verifiedUser("erin@example.com");
    const before = client.tokens!;
    // The server's clock moves past the access token's expiry; the refresh token is still good.
    skewMs = (ACCESS_TTL + 10) * 1000;
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => client.me()));
      expect(results.map((u) => u.email)).toEqual(Array(8).fill("erin@example.com"));
      expect(calls.get("POST /v1/auth/refresh")).toBe(1);
      // Every call went out once with the old token (401 token_expired) and once after the refresh.
      expect(calls.get("GET /v1/auth/me")).toBe(16);
      expect(client.tokens!.accessToken).not.toBe(before.accessToken);
      expect(client.tokens!.refreshToken).not.toBe(before.refreshToken);
      // And the new token serves the next call without another refresh.
      await client.me();
      expect(calls.get("POST /v1/auth/refresh")).toBe(1);
    } finally {
      skewMs = 0;
    }
  });

  it("refreshes ahead of expiry when it knows the token is about to expire", async () => {
    const { client, calls } = await verifiedUser("fay@example.com");
    client.setTokens({ ...client.tokens!, expiresAt: Date.now() + 2_000 });
    await Promise.all([client.me(), client.me(), client.me()]);
    expect(calls.get("POST /v1/auth/refresh")).toBe(1);
    expect(calls.get("GET /v1/auth/me")).toBe(3);
  });

  it("surfaces a reuse-revoked refresh family as RefreshTokenReusedError and drops the tokens", async () => {
    const { client } = await verifiedUser("gus@example.com");
    const stolen = client.tokens!;
    await client.refresh(); // the legitimate client moves on to the next refresh token

    // Someone presents the old refresh token: Vigil revokes the whole family.
    let dropped: unknown = "not called";
    const thief = createVigilClient({ baseUrl: server.base, tokens: stolen, onTokens: (t) => (dropped = t) });
    skewMs = (ACCESS_TTL + 10) * 1000;
    try {
      const err = await thief.me().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RefreshTokenReusedError);
      expect(err).toMatchObject({ status: 401, code: "refresh_token_reused" });
      expect(thief.tokens).toBeNull();
      expect(dropped).toBeNull();
    } finally {
      skewMs = 0;
    }
    // The legitimate session went with the family: its next call is refused, and a refresh ends it.
    const after = await client.me().catch((e: unknown) => e);
    expect(after).toBeInstanceOf(VigilError);
    expect(after).toMatchObject({ status: 401, code: "session_revoked" });
    const refresh = await client.refresh().catch((e: unknown) => e);
    expect(refresh).toBeInstanceOf(SessionEndedError);
    expect(client.tokens).toBeNull();
  });

  it("runs under Deno with fetch alone", async () => {
    await verifiedUser("hal@example.com");
    const deno = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
    const script = new URL("./deno-smoke.ts", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      deno,
      ["run", "--no-check", "--allow-net=127.0.0.1", script, server.base, "hal@example.com", PASSWORD],
      { timeout: 120_000 },
    );
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({
      email: "hal@example.com",
      typedError: "invalid_credentials",
      runtime: "deno",
    });
  }, 180_000);
});
