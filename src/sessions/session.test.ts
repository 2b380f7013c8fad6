/** The session decider, given/when/then. */
import { describe, expect, it } from "vitest";
import {
  decideRefresh,
  decideRevoke,
  planEviction,
  type RefreshCommand,
  type SessionState,
} from "./session.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);
const H = (c: string) => c.repeat(64);

const given = (over: Partial<SessionState> = {}): SessionState => ({
  sessionId: "5a1f0c9e-0000-4000-8000-000000000001",
  userId: "0190aaaa-0000-7000-8000-000000000001",
  createdAt: minutes(-10),
  lastSeenAt: minutes(-10),
  ip: "203.0.113.7",
  userAgent: "test",
  expiresAt: minutes(7 * 24 * 60),
  revokedAt: null,
  refreshTokenHash: H("a"),
  version: 1,
  ...over,
});

const cmd = (over: Partial<RefreshCommand> = {}): RefreshCommand => ({
  now: NOW,
  newTokenHash: H("b"),
  newExpiresAt: minutes(7 * 24 * 60),
  guardSeen: undefined,
  idleSeconds: 1800,
  ...over,
});

const token = { tokenHash: H("a"), spent: false, expiresAt: minutes(60) };

describe("decideRefresh", () => {
  it("given a live session, when its current token is presented, then it rotates", () => {
    const { outcome, events } = decideRefresh(given(), token, cmd());
    expect(outcome).toEqual({ kind: "rotated" });
    expect(events).toEqual([
      {
        type: "RefreshTokenRotated",
        data: {
          sessionId: given().sessionId,
          userId: given().userId,
          previousTokenHash: H("a"),
          refreshTokenHash: H("b"),
          expiresAt: cmd().newExpiresAt.toISOString(),
        },
      },
    ]);
  });

  it("given a spent token, when it is presented again, then reuse is recorded and the family revoked", () => {
    const { outcome, events } = decideRefresh(given(), { ...token, spent: true }, cmd());
    expect(outcome).toEqual({ kind: "reused" });
    expect(events.map((e) => e.type)).toEqual(["RefreshTokenReuseDetected", "SessionRevoked"]);
    expect(events[1]!.data).toMatchObject({ reason: "reuse_detected" });
  });

  it("given a session already revoked, when a spent token is replayed, then only the reuse is recorded", () => {
    const { events } = decideRefresh(given({ revokedAt: minutes(-1) }), { ...token, spent: true }, cmd());
    expect(events.map((e) => e.type)).toEqual(["RefreshTokenReuseDetected"]);
  });

  it("given a revoked session, when its current token is presented, then it is invalid", () => {
    const r = decideRefresh(given({ revokedAt: minutes(-1) }), token, cmd());
    expect(r).toEqual({ outcome: { kind: "invalid", why: "revoked" }, events: [] });
  });

  it("given an expired token, then it is invalid", () => {
    const r = decideRefresh(given(), { ...token, expiresAt: minutes(-1) }, cmd());
    expect(r.outcome).toEqual({ kind: "invalid", why: "expired" });
  });

  it("given no activity for longer than the idle timeout, then the session ends as idle", () => {
    const r = decideRefresh(given({ lastSeenAt: minutes(-31) }), token, cmd());
    expect(r.outcome).toEqual({ kind: "idle" });
    expect(r.events[0]!.data).toMatchObject({ reason: "idle_timeout" });
  });

  it("given recent activity seen by the guard, then an old log activity does not count as idle", () => {
    const r = decideRefresh(given({ lastSeenAt: minutes(-31) }), token, cmd({ guardSeen: minutes(-5) }));
    expect(r.outcome).toEqual({ kind: "rotated" });
  });
});

describe("decideRevoke", () => {
  it("revokes once", () => {
    expect(decideRevoke(given(), "logout")).toEqual([
      {
        type: "SessionRevoked",
        data: { sessionId: given().sessionId, userId: given().userId, reason: "logout" },
      },
    ]);
    expect(decideRevoke(given({ revokedAt: NOW }), "logout")).toEqual([]);
  });
});

describe("planEviction", () => {
  const s = (n: number, over: Partial<SessionState> = {}) =>
    given({ sessionId: `5a1f0c9e-0000-4000-8000-00000000000${n}`, createdAt: minutes(-20 + n), ...over });

  it("given 3 live sessions and a limit of 3, when one more starts, then the oldest is evicted", () => {
    const plan = planEviction([s(3), s(1), s(2)], new Map(), NOW, () => 1800, 3);
    expect(plan.idle).toEqual([]);
    expect(plan.evicted.map((x) => x.sessionId)).toEqual([s(1).sessionId]);
  });

  it("given an idle session among them, then it ends as idle and nothing live is evicted", () => {
    const plan = planEviction(
      [s(1, { lastSeenAt: minutes(-40) }), s(2), s(3)],
      new Map(),
      NOW,
      () => 1800,
      3,
    );
    expect(plan.idle.map((x) => x.sessionId)).toEqual([s(1).sessionId]);
    expect(plan.evicted).toEqual([]);
  });

  it("given fewer sessions than the limit, then nothing ends", () => {
    expect(planEviction([s(1)], new Map(), NOW, () => 1800, 3)).toEqual({ idle: [], evicted: [] });
  });
});
