/** Refresh rotation and reuse, logout, listing and revoking sessions, idle timeout: app.request() on PGlite. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "../identity/testing.ts";

let h: IdentityHarness;
let api: ReturnType<typeof client>;
beforeEach(async () => {
  h = await identityHarness();
  api = client(h.app);
  await api.register("ada@example.com", PASSWORD);
  await api.register("bob@example.com", PASSWORD);
});
afterEach(() => h.close());

const login = async (email = "ada@example.com", ua = "vitest") =>
  (await api.login(email, PASSWORD, { "User-Agent": ua })).body!;
const types = async () => (await h.events()).map((e) => e.type);

describe("POST /v1/auth/refresh", () => {
  it("rotates: a new pair for the same session, the old refresh token spent", async () => {
    const first = await login();
    h.clock.advance(60);
    const res = await api.refresh(first.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: "Bearer", sessionId: first.sessionId, expiresIn: 900 });
    expect(res.body!.refreshToken).not.toBe(first.refreshToken);
    expect((await api.me(res.body!.accessToken)).status).toBe(200);
    expect((await types()).at(-1)).toBe("RefreshTokenRotated");
    expect(JSON.stringify(await h.events())).not.toContain(res.body!.refreshToken);
  });

  it("treats a spent token as theft: 401 refresh_token_reused and the whole family dies", async () => {
    const first = await login();
    const second = (await api.refresh(first.refreshToken)).body!;
    const replay = await api.refresh(first.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body!.code).toBe("refresh_token_reused");
    // The token the legitimate rotation produced dies with it, and so do the access tokens.
    const afterwards = await api.refresh(second.refreshToken);
    expect(afterwards.status).toBe(401);
    expect(afterwards.body!.code).toBe("invalid_refresh_token");
    expect((await api.me(second.accessToken)).body!.code).toBe("session_revoked");
    expect((await api.me(first.accessToken)).body!.code).toBe("session_revoked");
    expect((await types()).slice(-3)).toEqual([
      "RefreshTokenRotated",
      "RefreshTokenReuseDetected",
      "SessionRevoked",
    ]);
    expect((await h.events()).at(-1)!.data).toMatchObject({ reason: "reuse_detected" });
  });

  it("refuses unknown and expired tokens with invalid_refresh_token", async () => {
    const unknown = await api.refresh("A".repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.body!.code).toBe("invalid_refresh_token");
    const s = await login();
    // Kept alive by activity (the guard), but past the refresh token's 7 days.
    for (let day = 0; day < 8; day++) {
      h.clock.advance(86_400);
      await h.deps.auth.guard.touch(s.sessionId, h.clock.now(), 1800);
    }
    const expired = await api.refresh(s.refreshToken);
    expect(expired.body!.code).toBe("invalid_refresh_token");
  });

  it("ends a session idle for longer than 30 minutes", async () => {
    const s = await login();
    h.clock.advance(31 * 60);
    const res = await api.refresh(s.refreshToken);
    expect(res.status).toBe(401);
    expect(res.body!.code).toBe("invalid_refresh_token");
    expect((await h.events()).at(-1)!.data).toMatchObject({ reason: "idle_timeout" });
  });

  it("counts requests as activity: a session used within the window stays alive", async () => {
    const s = await login();
    h.clock.advance(14 * 60);
    expect((await api.me(s.accessToken)).status).toBe(200);
    h.clock.advance(20 * 60);
    expect((await api.refresh(s.refreshToken)).status).toBe(200);
  });
});

describe("POST /v1/auth/logout", () => {
  it("revokes the session at once: its unexpired access token is refused on the next request", async () => {
    const s = await login();
    expect((await api.me(s.accessToken)).status).toBe(200);
    const out = await api.call("POST", "/v1/auth/logout", undefined, api.bearer(s.accessToken));
    expect(out.status).toBe(204);
    const me = await api.me(s.accessToken);
    expect(me.status).toBe(401);
    expect(me.body!.code).toBe("session_revoked");
    expect((await api.refresh(s.refreshToken)).body!.code).toBe("invalid_refresh_token");
    expect((await h.events()).at(-1)).toMatchObject({ type: "SessionRevoked", data: { reason: "logout" } });
  });
});

describe("/v1/sessions", () => {
  it("lists only your own active sessions, marking the current one", async () => {
    const a1 = await login("ada@example.com", "laptop");
    h.clock.advance(5);
    const a2 = await login("ada@example.com", "phone");
    await login("bob@example.com");
    const res = await api.call("GET", "/v1/sessions", undefined, api.bearer(a2.accessToken));
    expect(res.status).toBe(200);
    expect(res.body!.sessions).toEqual([
      {
        id: a1.sessionId,
        createdAt: "2026-03-01T10:00:00.000Z",
        lastSeenAt: "2026-03-01T10:00:00.000Z",
        ip: null,
        userAgent: "laptop",
        current: false,
      },
      {
        id: a2.sessionId,
        createdAt: "2026-03-01T10:00:05.000Z",
        lastSeenAt: "2026-03-01T10:00:05.000Z",
        ip: null,
        userAgent: "phone",
        current: true,
      },
    ]);
  });

  it("DELETE /sessions/{id} revokes one of yours; another user's is 404 and stays alive", async () => {
    const a1 = await login();
    const a2 = await login();
    const bob = await login("bob@example.com");
    const foreign = await api.call(
      "DELETE",
      `/v1/sessions/${bob.sessionId}`,
      undefined,
      api.bearer(a1.accessToken),
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body!.code).toBe("not_found");
    const missing = await api.call(
      "DELETE",
      "/v1/sessions/00000000-0000-4000-8000-000000000000",
      undefined,
      api.bearer(a1.accessToken),
    );
    expect(missing.status).toBe(404);
    expect(missing.body!.detail).toBe(foreign.body!.detail);
    expect((await api.me(bob.accessToken)).status).toBe(200);

    const del = await api.call(
      "DELETE",
      `/v1/sessions/${a2.sessionId}`,
      undefined,
      api.bearer(a1.accessToken),
    );
    expect(del.status).toBe(204);
    expect((await api.me(a2.accessToken)).body!.code).toBe("session_revoked");
    expect((await api.me(a1.accessToken)).status).toBe(200);
    expect((await h.events()).at(-1)!.data).toMatchObject({ reason: "revoked_by_user" });
  });

  it("DELETE /sessions revokes every session but the current one", async () => {
    const a1 = await login();
    const a2 = await login();
    const a3 = await login();
    const bob = await login("bob@example.com");
    const res = await api.call("DELETE", "/v1/sessions", undefined, api.bearer(a3.accessToken));
    expect(res.status).toBe(204);
    expect((await api.me(a1.accessToken)).status).toBe(401);
    expect((await api.me(a2.accessToken)).status).toBe(401);
    expect((await api.me(a3.accessToken)).status).toBe(200);
    expect((await api.me(bob.accessToken)).status).toBe(200);
    const revoked = (await h.events()).filter((e) => e.type === "SessionRevoked");
    expect(revoked.map((e) => (e.data as { sessionId: string }).sessionId).sort()).toEqual(
      [a1.sessionId, a2.sessionId].sort(),
    );
  });

  it("validates the session id", async () => {
    const a = await login();
    const res = await api.call("DELETE", "/v1/sessions/not-a-uuid", undefined, api.bearer(a.accessToken));
    expect(res.status).toBe(400);
    expect(res.body!.code).toBe("validation_failed");
  });
});
