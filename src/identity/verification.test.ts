/** POST /v1/auth/email/verification, /verification/resend and /verify over app.request. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { client, type IdentityHarness, identityHarness, linkIn, PASSWORD } from "./testing.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
let access: string;
beforeEach(async () => {
  h = await identityHarness();
  api = client(h.app);
  await api.register("ada@example.com", PASSWORD);
  access = (await api.login("ada@example.com", PASSWORD)).body!.accessToken;
});
afterEach(() => h.close());

const verify = (token: string) => api.call("POST", "/v1/auth/email/verify", { token });
const requestLink = (token = access) =>
  api.call("POST", "/v1/auth/email/verification", undefined, api.bearer(token));
const verificationMail = async () =>
  (await h.mail()).filter((m) => m.subject.startsWith("Confirm your email")).at(-1);

async function invalid(token: string) {
  const res = await verify(token);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: "invalid_token", status: 400 });
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  return res;
}

describe("email verification", () => {
  it("registration emails a link whose token verifies the address once", async () => {
    const mail = await verificationMail();
    expect(mail!.to).toBe("ada@example.com");
    const { url, token } = linkIn(mail);
    expect(url).toBe(`http://localhost:3000/verify-email?token=${token}`);
    expect(mail!.text).toContain("expires in 24 hours");

    const res = await verify(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: "ada@example.com", emailVerified: true });
    expect((await api.me(access)).body!.emailVerified).toBe(true);
    await invalid(token);
    const events = await h.events();
    expect(events.filter((e) => e.type === "EmailVerified")).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("a fresh link supersedes the earlier unused one", async () => {
    const first = linkIn(await verificationMail()).token;
    const res = await requestLink();
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: "sent" });
    const second = linkIn(await verificationMail()).token;
    expect(second).not.toBe(first);
    await invalid(first);
    expect((await verify(second)).status).toBe(200);
    expect((await requestLink()).body).toEqual({ status: "already_verified" });
    expect(await h.mail()).toEqual([]);
  });

  it("refuses an expired link (24 h on the injected clock)", async () => {
    const { token } = linkIn(await verificationMail());
    h.clock.advance(24 * 3600);
    await invalid(token);
  });

  it("gives one answer for unknown, malformed and wrong-purpose tokens", async () => {
    const { token } = linkIn(await verificationMail());
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const bodies = [];
    for (const t of [flipped, "x", "A".repeat(43), `${token}=`]) {
      const { body } = await invalid(t);
      bodies.push({ ...body, requestId: undefined });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    // A password-reset token is no verification token.
    await api.call("POST", "/v1/auth/password/forgot", { email: "ada@example.com" });
    const reset = linkIn((await h.mail()).find((m) => m.subject.startsWith("Reset"))).token;
    await invalid(reset);
    expect((await verify(token)).status).toBe(200);
  });

  it("another user's token verifies its owner, never the caller", async () => {
    await api.register("bob@example.com", PASSWORD);
    const bobToken = linkIn(await verificationMail()).token;
    const res = await api.call("POST", "/v1/auth/email/verify", { token: bobToken }, api.bearer(access));
    expect(res.body).toMatchObject({ email: "bob@example.com", emailVerified: true });
    expect((await api.me(access)).body!.emailVerified).toBe(false);
  });

  it("needs authentication to request a link; the unauthenticated resend answers alike for anyone", async () => {
    expect((await requestLink("not-a-token")).status).toBe(401);
    const known = await api.call("POST", "/v1/auth/email/verification/resend", { email: "ada@example.com" });
    const unknown = await api.call("POST", "/v1/auth/email/verification/resend", {
      email: "nobody@example.com",
    });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const links = (await h.mail()).filter((m) => m.subject.startsWith("Confirm your email"));
    // The registration's link, then the resend's: nothing for the unknown address.
    expect(links.map((m) => m.to)).toEqual(["ada@example.com", "ada@example.com"]);
  });
});
