/** Two-factor through app.request() on PGlite: enrolment, login second step, replays, limits, re-authentication. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AccessHarness,
  accessHarness,
  enableTotpFor,
  loginWithTotp,
  type TestUser,
  userWithRoles,
} from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";
import { codeAt } from "./totp.ts";

let h: AccessHarness;
let ada: TestUser;
beforeEach(async () => {
  h = await accessHarness();
  ada = await userWithRoles(h, "ada@example.com");
});
afterEach(() => h.close());

const code = (secret: string, offsetSeconds = 0) =>
  codeAt(secret, h.clock.now().getTime() + offsetSeconds * 1000);
const verify = (body: Record<string, unknown>) => h.api.call("POST", "/v1/auth/mfa/verify", body);
const challenge = async () => (await h.api.login("ada@example.com", PASSWORD)).body!;

describe("enrolment", () => {
  it("setup gives a secret, URI and QR; enable needs a right code and returns 10 backup codes once", async () => {
    const auth = h.api.bearer(ada.token);
    const setup = await h.api.call("POST", "/v1/mfa/totp/setup", undefined, auth);
    expect(setup.status).toBe(200);
    expect(setup.headers.get("Cache-Control")).toBe("no-store");
    expect(setup.body).toMatchObject({ secret: expect.stringMatching(/^[A-Z2-7]{32}$/) });
    expect(setup.body!.otpauthUri).toContain(`secret=${setup.body!.secret}`);
    expect(setup.body!.qrSvg).toMatch(/^<svg/);
    const secret = setup.body!.secret as string;

    const wrong = await h.api.call("POST", "/v1/mfa/totp/enable", { code: code(secret, 300) }, auth);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: "mfa_code_invalid", remainingAttempts: 4 });

    const ok = await h.api.call("POST", "/v1/mfa/totp/enable", { code: code(secret) }, auth);
    expect(ok.status).toBe(200);
    expect(ok.body!.backupCodes).toHaveLength(10);
    expect((await h.api.call("POST", "/v1/mfa/totp/setup", undefined, auth)).body!.code).toBe(
      "mfa_already_enabled",
    );

    // The secret is sealed at rest (v1.<key id>…) and appears in no event and no log line.
    const [row] = await h.db.query<{ active_secret: string }>("SELECT active_secret FROM totp_secrets");
    expect(row!.active_secret).toMatch(/^v1\.dev\./);
    expect(row!.active_secret).not.toContain(secret);
    const log = JSON.stringify(await h.events());
    expect(log).not.toContain(secret);
    for (const c of ok.body!.backupCodes) expect(log).not.toContain(c);
    expect(h.logLines.join("")).not.toContain(secret);
    const types = (await h.events()).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["MfaVerificationFailed", "TotpEnabled", "BackupCodesGenerated"]),
    );
  });

  it("refuses enable without a setup", async () => {
    const res = await h.api.call("POST", "/v1/mfa/totp/enable", { code: "123456" }, h.api.bearer(ada.token));
    expect(res.body!.code).toBe("mfa_setup_required");
  });
});

describe("login with two-factor", () => {
  let secret: string;
  let backupCodes: string[];
  beforeEach(async () => {
    ({ secret, backupCodes } = await enableTotpFor(h, ada));
    h.clock.advance(30);
  });

  it("answers the password with an mfaToken, and the code with the token pair", async () => {
    const first = await h.api.login("ada@example.com", PASSWORD);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      mfaRequired: true,
      mfaToken: expect.stringMatching(/^mfa_/),
      expiresIn: 300,
    });
    const before = (await h.events()).map((e) => e.type);
    expect(before.at(-1)).toBe("MfaChallengeIssued");
    expect(before.filter((t) => t === "LoginSucceeded")).toHaveLength(1); // ada's first, pre-MFA login only

    const res = await verify({ mfaToken: first.body!.mfaToken, code: code(secret) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tokenType: "Bearer",
      accessToken: expect.any(String),
      deviceToken: expect.any(String),
    });
    expect((await h.api.me(res.body!.accessToken)).status).toBe(200);
    const types = (await h.events()).map((e) => e.type);
    expect(types.slice(-3)).toEqual(["LoginSucceeded", "SessionStarted", "MfaVerificationSucceeded"]);

    // Single use: the same token again is refused, even with a new code.
    h.clock.advance(30);
    const again = await verify({ mfaToken: first.body!.mfaToken, code: code(secret) });
    expect(again.status).toBe(401);
    expect(again.body!.code).toBe("mfa_token_invalid");
  });

  it("expires the mfaToken after 5 minutes", async () => {
    const { mfaToken } = await challenge();
    h.clock.advance(301);
    expect((await verify({ mfaToken, code: code(secret) })).body!.code).toBe("mfa_token_invalid");
  });

  it("refuses a replayed code inside its window, and an older step after a newer one", async () => {
    const c = code(secret);
    expect((await verify({ mfaToken: (await challenge()).mfaToken, code: c })).status).toBe(200);
    const replay = await verify({ mfaToken: (await challenge()).mfaToken, code: c });
    expect(replay.status).toBe(401);
    expect(replay.body!.code).toBe("mfa_code_invalid");
    // The previous step's code is still inside ±1 but older than the one used.
    expect((await verify({ mfaToken: (await challenge()).mfaToken, code: code(secret, -30) })).status).toBe(
      401,
    );
    h.clock.advance(30);
    expect((await verify({ mfaToken: (await challenge()).mfaToken, code: code(secret) })).status).toBe(200);
    const failed = (await h.events()).filter((e) => e.type === "MfaVerificationFailed");
    expect(failed.at(-1)!.data).toEqual({ userId: ada.userId, method: "totp", purpose: "login" });
  });

  it("accepts each backup code once", async () => {
    const ok = await verify({ mfaToken: (await challenge()).mfaToken, backupCode: backupCodes[0] });
    expect(ok.status).toBe(200);
    const reuse = await verify({ mfaToken: (await challenge()).mfaToken, backupCode: backupCodes[0] });
    expect(reuse.status).toBe(401);
    expect(reuse.body!.code).toBe("mfa_code_invalid");
    expect(
      (await verify({ mfaToken: (await challenge()).mfaToken, backupCode: backupCodes[1]!.toLowerCase() }))
        .status,
    ).toBe(200);
  });

  it("allows 5 wrong codes per 15 minutes, then 429 with Retry-After, each failure an event", async () => {
    const { mfaToken } = await challenge();
    const seen: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await verify({ mfaToken, code: code(secret, 600) });
      seen.push([r.status, r.body!.code, r.headers.get("Retry-After")]);
    }
    expect(seen).toEqual([
      [401, "mfa_code_invalid", null],
      [401, "mfa_code_invalid", null],
      [401, "mfa_code_invalid", null],
      [401, "mfa_code_invalid", null],
      [401, "mfa_code_invalid", null],
      [429, "rate_limited", "900"],
    ]);
    // Even the right code waits; the refusal while blocked is not a new failure.
    expect((await verify({ mfaToken, code: code(secret) })).status).toBe(429);
    expect((await h.events()).filter((e) => e.type === "MfaVerificationFailed")).toHaveLength(5);
    h.clock.advance(901);
    const fresh = await verify({ mfaToken: (await challenge()).mfaToken, code: code(secret) });
    expect(fresh.status).toBe(200);
  });
});

describe("disable and regenerate", () => {
  let secret: string;
  let backupCodes: string[];
  beforeEach(async () => {
    ({ secret, backupCodes } = await enableTotpFor(h, ada));
  });

  it("need a login within 5 minutes (401 reauthentication_required), then a current code", async () => {
    h.clock.advance(301);
    // Refreshing does not count as a login.
    const refreshed = await h.api.refresh(ada.refreshToken);
    const stale = h.api.bearer(refreshed.body!.accessToken);
    for (const path of ["/v1/mfa/totp/disable", "/v1/mfa/backup-codes/regenerate"]) {
      const res = await h.api.call("POST", path, { code: code(secret) }, stale);
      expect(res.status).toBe(401);
      expect(res.body!.code).toBe("reauthentication_required");
    }
    const fresh = h.api.bearer((await loginWithTotp(h, "ada@example.com", secret)).token);
    h.clock.advance(30);

    const regen = await h.api.call("POST", "/v1/mfa/backup-codes/regenerate", { code: code(secret) }, fresh);
    expect(regen.status).toBe(200);
    expect(regen.body!.backupCodes).toHaveLength(10);
    // The old set is gone.
    const old = await verify({ mfaToken: (await challenge()).mfaToken, backupCode: backupCodes[5] });
    expect(old.status).toBe(401);

    h.clock.advance(30);
    expect((await h.api.call("POST", "/v1/mfa/totp/disable", { code: "000000" }, fresh)).status).toBe(401);
    expect((await h.api.call("POST", "/v1/mfa/totp/disable", { code: code(secret) }, fresh)).status).toBe(
      204,
    );
    expect(await h.db.query("SELECT * FROM totp_secrets")).toEqual([]);
    const login = await h.api.login("ada@example.com", PASSWORD);
    expect(login.body).toMatchObject({ accessToken: expect.any(String) });
    expect((await h.events()).map((e) => e.type)).toContain("TotpDisabled");
  });
});
