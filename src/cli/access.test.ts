/** `admin create` and `keys rotate-encryption`, run as functions over a harness. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AccessHarness,
  accessHarness,
  enableTotpFor,
  loginWithTotp,
  userWithRoles,
} from "../access/testing.ts";
import { loadConfig } from "../config.ts";
import { linkIn, PASSWORD } from "../identity/testing.ts";
import { cmdAdminCreate, cmdKeysRotateEncryption } from "./access.ts";
import { runCli } from "./run.ts";

const KEY_A = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";

let h: AccessHarness;
let lines: string[];
const cli = (x: AccessHarness) => ({ authDeps: async () => x.deps, out: (l: string) => lines.push(l) });

beforeEach(async () => {
  h = await accessHarness({ env: { ENCRYPTION_KEY: KEY_A } });
  lines = [];
});
afterEach(() => h.close());

describe("admin create", () => {
  it("creates the first admin with a one-time set-password link, then refuses unless --force", async () => {
    expect(await cmdAdminCreate(cli(h), ["--email", "Root@Example.com"])).toBe(0);
    const link = lines.find((l) => l.includes("reset-password?token="))!.trim();
    const { token } = linkIn({ text: link } as Parameters<typeof linkIn>[0]);
    const events = await h.events();
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["UserRegistered", "UserRoleGranted", "PasswordResetRequested"]),
    );
    expect(events.find((e) => e.type === "UserRoleGranted")!.metadata).toMatchObject({ actor: "system:cli" });

    // The link sets the password once.
    const set = await h.api.call("POST", "/v1/auth/password/reset", { token, newPassword: PASSWORD });
    expect(set.status, JSON.stringify(set.body)).toBeLessThan(300);
    const login = await h.api.login("root@example.com", PASSWORD);
    expect(login.status).toBe(200);
    expect((await h.api.me(login.body!.accessToken)).body!.roles).toEqual(["user", "admin"]);

    lines = [];
    expect(await cmdAdminCreate(cli(h), ["--email", "second@example.com"])).toBe(1);
    expect(lines.join("\n")).toContain("an admin already exists");
    expect(await cmdAdminCreate(cli(h), ["--email", "second@example.com", "--force"])).toBe(0);
    expect(await cmdAdminCreate(cli(h), [])).toBe(2);
  });

  it("is reachable through runCli", async () => {
    const code = await runCli(["admin", "create", "--email", "x@example.com"], {
      ...cli(h),
      db: h.db,
      store: h.deps.store,
      projections: [],
      dataDir: "memory://",
      progress: () => {},
    });
    expect(code).toBe(0);
  });
});

describe("keys rotate-encryption", () => {
  it("re-seals TOTP secrets and JWT keys under the current key, idempotently; old key can then go", async () => {
    const ada = await userWithRoles(h, "ada@example.com");
    const { secret } = await enableTotpFor(h, ada);
    const sealed = async () =>
      (await h.db.query<{ active_secret: string }>("SELECT active_secret FROM totp_secrets"))[0]!
        .active_secret;
    expect(await sealed()).toMatch(/^v1\.k1\./);

    // Operator adds k2 as the current key, keeping k1 to decrypt.
    const rotated = await accessHarness({
      db: h.db,
      clock: h.clock,
      env: { ENCRYPTION_KEY: `k2:${KEY_B},k1:${KEY_A}` },
    });
    try {
      expect(await cmdKeysRotateEncryption(cli(rotated))).toBe(0);
      expect(lines).toContain("totp secrets: 1 rows, 1 re-encrypted, 0 already current");
      expect(lines.some((l) => /^jwt signing keys: \d+ rows, [1-9]\d* re-encrypted/.test(l))).toBe(true);
      expect(await sealed()).toMatch(/^v1\.k2\./);
      lines = [];
      expect(await cmdKeysRotateEncryption(cli(rotated))).toBe(0);
      expect(lines).toContain("totp secrets: 1 rows, 0 re-encrypted, 1 already current");
      expect(lines.some((l) => / 0 re-encrypted, \d+ already current, 0 undecryptable/.test(l))).toBe(true);
    } finally {
      await rotated.close();
    }

    // k1 removed: two-factor login still works, and so does token signing.
    const only = await accessHarness({ db: h.db, clock: h.clock, env: { ENCRYPTION_KEY: `k2:${KEY_B}` } });
    try {
      h.clock.advance(30);
      const session = await loginWithTotp(only, "ada@example.com", secret);
      expect((await only.api.me(session.token)).status).toBe(200);
    } finally {
      await only.close();
    }
  });
});

describe("ENCRYPTION_KEY", () => {
  it("accepts one base64 key (id k1) or an id:base64 list with the current key first", () => {
    const one = loadConfig({ NODE_ENV: "test", ENCRYPTION_KEY: KEY_A });
    expect(one.encryptionKeys!.map((k) => k.id)).toEqual(["k1"]);
    expect(one.encryptionKey).toEqual(one.encryptionKeys![0]!.key);
    const ring = loadConfig({ NODE_ENV: "test", ENCRYPTION_KEY: `k2:${KEY_B}, k1:${KEY_A}` });
    expect(ring.encryptionKeys!.map((k) => k.id)).toEqual(["k2", "k1"]);
    expect(ring.encryptionKey).toEqual(ring.encryptionKeys![0]!.key);
  });

  it("names the bad entry without echoing key material, and keeps the production checks", () => {
    const weak = Buffer.alloc(32).toString("base64");
    const fail = (value: string, env = "test") => {
      try {
        loadConfig({ NODE_ENV: env, ENCRYPTION_KEY: value });
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(fail(`k2:${weak},k1:${KEY_A}`)).toContain('ENCRYPTION_KEY entry 1 ("k2"): too weak');
    expect(fail(`k2:${KEY_B},k2:${KEY_A}`)).toContain('duplicate key id "k2"');
    expect(fail(`k2:${KEY_B},:${KEY_A}`)).toContain("entry 2: expected id:base64");
    expect(fail(`k2:${KEY_B},k1:${KEY_A}`)).toBe("");
    expect(fail(`k2:${KEY_B},k1:${KEY_A}`)).not.toContain(KEY_A);
    expect(fail(weak)).toContain("ENCRYPTION_KEY: too weak");
    expect(fail(`k1:${KEY_A}`, "production")).not.toContain("ENCRYPTION_KEY");
  });
});
