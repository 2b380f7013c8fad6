/**
 * Erasure by crypto-shredding, through the admin API, on PGlite and (with
 * TEST_DATABASE_URL) real Postgres: the person's data reads `[erased]` in the
 * projections and the log, no plaintext of theirs is left in the events table,
 * and the hash chains and a rebuild of every projection still agree.
 */
import { describe, expect, it } from "vitest";
import { ERASED } from "../../events/pii.ts";
import { verifyChains } from "../../events/verify.ts";
import { allProjections } from "../../projections/index.ts";
import { verifyProjections } from "../../projections/rebuild.ts";
import { dbCases } from "../../test/helpers/db.ts";
import { accessHarness, enableTotpFor, loginWithTotp, userWithRoles } from "../access/testing.ts";
import { PASSWORD } from "../identity/testing.ts";

const UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";

describe.each(dbCases())("erasing a person ($name)", ({ make }) => {
  it("shreds their data everywhere while the log still verifies", async () => {
    const h = await accessHarness({ db: await make() });
    try {
      const first = await userWithRoles(h, "root@example.com", ["user", "admin"]);
      const { secret } = await enableTotpFor(h, first);
      h.clock.advance(30);
      const admin = await loginWithTotp(h, "root@example.com", secret);
      const as = h.api.bearer(admin.token);

      const reg = await h.api.call(
        "POST",
        "/v1/auth/register",
        { email: "grace@example.com", password: PASSWORD, displayName: "Grace H" },
        { "user-agent": UA },
      );
      expect(reg.status).toBe(201);
      const graceId = reg.body!.id as string;
      const login = await h.api.call(
        "POST",
        "/v1/auth/login",
        { email: "grace@example.com", password: PASSWORD },
        { "user-agent": UA },
      );
      expect(login.status).toBe(200);
      const other = await userWithRoles(h, "ada@example.com");

      // Before: the log holds only ciphertext of Grace's data, and reads open it.
      const raw = async () =>
        (await h.db.query<{ t: string }>("SELECT data::text || metadata::text AS t FROM events")).map(
          (r) => r.t,
        );
      expect((await raw()).some((t) => t.includes("grace@example.com") || t.includes(UA))).toBe(false);
      const registered = (await h.events()).find(
        (e) => e.type === "UserRegistered" && (e.data as { userId: string }).userId === graceId,
      );
      expect((registered!.data as { email: string }).email).toBe("grace@example.com");

      const erase = await h.api.call(
        "POST",
        `/v1/admin/users/${graceId}/erase`,
        { reason: "GDPR art. 17 request #88" },
        as,
      );
      expect(erase.status).toBe(200);
      expect(erase.body).toMatchObject({
        email: ERASED,
        displayName: ERASED,
        status: "disabled",
        changed: true,
      });
      expect(erase.body!.sessions).toEqual([]);

      // The log reads [erased] for her, and only for her.
      const events = await h.events();
      const hers = events.filter((e) => (e.data as { userId?: string }).userId === graceId);
      expect(hers.map((e) => e.type)).toContain("UserErased");
      for (const e of hers) {
        const d = e.data as Record<string, unknown>;
        if ("email" in d) expect(d.email).toBe(ERASED);
        if (e.type === "SessionStarted") expect(d.userAgent).toBe(ERASED);
      }
      const ada = events.find(
        (e) => e.type === "UserRegistered" && (e.data as { userId: string }).userId === other.userId,
      );
      expect((ada!.data as { email: string }).email).toBe("ada@example.com");

      // Nothing about her can be read back, and the account is closed for good.
      expect((await raw()).some((t) => t.includes("grace@example.com"))).toBe(false);
      const relogin = await h.api.login("grace@example.com", PASSWORD);
      expect(relogin.status).toBe(401);
      const enable = await h.api.call("POST", `/v1/admin/users/${graceId}/enable`, { reason: "mistake" }, as);
      expect(enable.status).toBe(409);
      expect(enable.body!.code).toBe("account_erased");
      // Erasing again changes nothing and appends nothing.
      const count = (await h.events()).length;
      const again = await h.api.call(
        "POST",
        `/v1/admin/users/${graceId}/erase`,
        { reason: "again please" },
        as,
      );
      expect(again.status).toBe(200);
      expect(again.body!.changed).toBe(false);
      expect((await h.events()).length).toBe(count);
      // The email is free again for a new account.
      expect((await h.api.register("grace@example.com", PASSWORD)).status).toBe(201);

      // Proofs of integrity still hold: the hashes cover the ciphertext.
      const chains = await verifyChains(h.db);
      expect(chains.breaks).toEqual([]);
      const diffs = await verifyProjections({ db: h.db, store: h.deps.store }, allProjections);
      expect(diffs).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
