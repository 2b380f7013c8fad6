/**
 * POST /v1/auth/email/verification/resend tells nothing about the address: the
 * same answer and the same work (one derivation, one digest, one append)
 * whether the account exists unverified, exists verified, is disabled or does
 * not exist. Before: about 29 ms for an existing account, 12 ms for an unknown one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type IdentityHarness, identityHarness, knownVsUnknownMedians, PASSWORD } from "./testing.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  h = await identityHarness();
  api = client(h.app);
  await api.register("ada@example.com", PASSWORD);
  await h.mail();
}, 180_000);
afterAll(() => h.close());

const resend = (email: string) => api.call("POST", "/v1/auth/email/verification/resend", { email });

describe("POST /v1/auth/email/verification/resend", () => {
  it("answers an unknown address exactly like a known one, mails only the owner, and records the decoy", async () => {
    const known = await resend("ada@example.com");
    const unknown = await resend("nobody@example.com");
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    expect([...unknown.headers.keys()].sort()).toEqual([...known.headers.keys()].sort());
    const mail = (await h.mail()).filter((m) => m.subject === "Confirm your email address for Vigil");
    expect(mail.map((m) => m.to)).toEqual(["ada@example.com"]);
    const ignored = (await h.events()).find((e) => e.type === "EmailVerificationRequestIgnored")!;
    expect(ignored.streamId).toMatch(/^verify-unknown-[0-9a-f]$/);
    expect(ignored.data).toMatchObject({
      reason: "unknown_email",
      emailHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(ignored)).not.toContain("nobody@example.com");
  });

  it("does the same work for every kind of address: one token derivation, one append", async () => {
    const work = { derive: 0, append: 0 };
    const links = h.deps.auth.links;
    const store = h.deps.store;
    const derive = links.derive.bind(links);
    const append = store.append.bind(store);
    links.derive = (...args) => {
      work.derive++;
      return derive(...args);
    };
    store.append = (...args) => {
      work.append++;
      return append(...args);
    };
    try {
      await api.register("done@example.com", PASSWORD);
      const token = (await h.mail())
        .find((m) => m.to === "done@example.com")!
        .text.match(/token=([\w-]{43})/)![1];
      expect((await api.call("POST", "/v1/auth/email/verify", { token })).status).toBe(200);
      for (const email of ["ada@example.com", "done@example.com", "nobody-else@example.com"]) {
        Object.assign(work, { derive: 0, append: 0 });
        expect((await resend(email)).status).toBe(202);
        expect(work, email).toEqual({ derive: 1, append: 1 });
      }
      const reasons = (await h.events())
        .filter((e) => e.type === "EmailVerificationRequestIgnored")
        .map((e) => (e.data as { reason: string }).reason);
      expect(reasons).toContain("already_verified");
    } finally {
      links.derive = derive;
      store.append = append;
    }
  });

  it("takes about as long for an unknown address as for a known one", async () => {
    const { known: k, unknown: u } = await knownVsUnknownMedians(resend, "ada@example.com");
    // Generous, as for forgot-password: the same work on both paths; PGlite runs the known path's projections inline.
    expect(u).toBeGreaterThan(k * 0.3 - 2);
    expect(u).toBeLessThan(k * 3 + 10);
  });
});
