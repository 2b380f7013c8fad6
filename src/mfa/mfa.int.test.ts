/**
 * Concurrency on real Postgres (PGlite is one connection and proves nothing
 * here): racing uses of one backup code, one TOTP code or one mfaToken, of
 * which exactly one may win.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { postgresDb, TEST_DATABASE_URL } from "../../test/helpers/db.ts";
import { type AccessHarness, accessHarness, enableTotpFor, userWithRoles } from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";
import { codeAt } from "./totp.ts";

describe.runIf(TEST_DATABASE_URL)("two-factor races on Postgres (TEST_DATABASE_URL)", () => {
  let h: AccessHarness;
  let secret: string;
  let backupCodes: string[];
  beforeEach(async () => {
    h = await accessHarness({ db: await postgresDb({ max: 12 }) });
    const ada = await userWithRoles(h, "ada@example.com");
    ({ secret, backupCodes } = await enableTotpFor(h, ada));
    h.clock.advance(30);
  });
  afterEach(async () => {
    await h.close();
    await h.db.close();
  });

  const challenge = async () => (await h.api.login("ada@example.com", PASSWORD)).body!.mfaToken as string;
  const verify = (body: Record<string, unknown>) => h.api.call("POST", "/v1/auth/mfa/verify", body);
  const statuses = (rs: { status: number }[]) => rs.map((r) => r.status).sort();

  it("one backup code used twice at once: exactly one login", async () => {
    const tokens = await Promise.all([challenge(), challenge(), challenge(), challenge()]);
    const results = await Promise.all(
      tokens.map((mfaToken) => verify({ mfaToken, backupCode: backupCodes[0] })),
    );
    expect(statuses(results)).toEqual([200, 401, 401, 401]);
    const used = (await h.events()).filter(
      (e) =>
        e.type === "MfaVerificationSucceeded" && (e.data as { codeIndex: number | null }).codeIndex === 0,
    );
    expect(used).toHaveLength(1);
  });

  it("one TOTP code used twice at once: exactly one login", async () => {
    const tokens = await Promise.all([challenge(), challenge(), challenge()]);
    const code = codeAt(secret, h.clock.now().getTime());
    const results = await Promise.all(tokens.map((mfaToken) => verify({ mfaToken, code })));
    expect(statuses(results)).toEqual([200, 401, 401]);
  });

  it("one mfaToken used with two different codes at once: one session", async () => {
    const mfaToken = await challenge();
    const results = await Promise.all([
      verify({ mfaToken, backupCode: backupCodes[1] }),
      verify({ mfaToken, backupCode: backupCodes[2] }),
    ]);
    expect(statuses(results)).toEqual([200, 401]);
    expect(results.find((r) => r.status === 401)!.body!.code).toBe("mfa_token_invalid");
  });
});
