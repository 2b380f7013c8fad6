/** The fan-out's decisions (what becomes a bus message), slots' leases, and the handshake's subprotocols. */
import { describe, expect, it } from "vitest";
import { ev, uid } from "../../security/threats/testing.ts";
import { type BusMessage, memoryBus } from "./bus.ts";
import { fanoutConsumer, type PushSource } from "./fanout.ts";
import { pushName } from "./pushes.ts";
import { offeredProtocols } from "./route.ts";
import { memorySlots } from "./slots.ts";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");

function harness(nowMs: number) {
  const bus = memoryBus();
  const got: BusMessage[] = [];
  void bus.subscribe((m) => got.push(m));
  const source: PushSource = {
    eventTypes: ["SigningRoundStarted"],
    async deliveries(_sql, e) {
      return [{ userIds: [uid(1)], frame: JSON.stringify({ event: pushName(e.type), eventId: e.eventId }) }];
    },
  };
  const consumer = fanoutConsumer({ bus, source, clock: { now: () => new Date(nowMs) }, maxAgeMs: 60_000 });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { consumer, got, flush };
}

describe("fan-out consumer", () => {
  it("publishes a push per custody event and a revocation per SessionRevoked, in log order", async () => {
    const { consumer, got, flush } = harness(T0 + 1000);
    const round = ev("SigningRoundStarted", { txId: uid(9), vaultId: uid(8), round: 1 });
    const logout = ev("SessionRevoked", { sessionId: uid(5), userId: uid(1), reason: "logout" });
    const disabled = ev("SessionRevoked", { sessionId: uid(6), userId: uid(2), reason: "account_disabled" });
    await consumer.handle({ query: async () => [] }, [round, logout, disabled]);
    await flush();
    expect(got).toEqual([
      {
        kind: "push",
        deliveries: [
          {
            userIds: [uid(1)],
            frame: JSON.stringify({ event: "commitments_wanted", eventId: round.eventId }),
          },
        ],
      },
      { kind: "revoke", sessionIds: [uid(5)], reason: "session_revoked" },
      { kind: "revoke", sessionIds: [uid(6)], reason: "account_disabled" },
    ]);
  });

  it("does not push events older than a minute (a consumer catching up after an outage)", async () => {
    const { consumer, got, flush } = harness(T0 + 61_000);
    await consumer.handle({ query: async () => [] }, [ev("SigningRoundStarted", { txId: uid(9) })]);
    await flush();
    expect(got).toEqual([]);
  });

  it("names round events in the protocol's words and the rest in snake case", () => {
    expect(pushName("SigningPackageIssued")).toBe("signing_package_ready");
    expect(pushName("SignatureShareRejected")).toBe("share_rejected");
    expect(pushName("DkgRound2Submitted")).toBe("dkg_round2_submitted");
    expect(pushName("VaultKeyEstablished")).toBe("vault_key_established");
  });
});

describe("connection slots (memory)", () => {
  it("holds at most `max` per user, frees on release, and lets an unrenewed lease lapse", async () => {
    let t = 0;
    const slots = memorySlots({ max: 2, leaseMs: 1000, now: () => t });
    expect(await slots.acquire("u", "c1")).toEqual({ ok: true, open: 1 });
    expect(await slots.acquire("u", "c2")).toEqual({ ok: true, open: 2 });
    expect(await slots.acquire("u", "c3")).toEqual({ ok: false, open: 2 });
    expect((await slots.acquire("v", "d1")).ok).toBe(true);
    await slots.release("u", "c1");
    expect((await slots.acquire("u", "c3")).ok).toBe(true);
    t = 900;
    await slots.renew("u", "c3");
    t = 1500;
    // c2 was never renewed (its instance died): its slot is free again; c3 holds.
    expect(await slots.acquire("u", "c4")).toEqual({ ok: true, open: 2 });
  });
});

describe("handshake subprotocols", () => {
  it("finds ours and the bearer token, whatever the spacing", () => {
    expect(offeredProtocols("vigil.custody.v1,  vigil.bearer.abc.def")).toEqual({
      ours: true,
      count: 2,
      token: "abc.def",
    });
    expect(offeredProtocols(undefined)).toEqual({ ours: false, count: 0 });
    expect(offeredProtocols("chat, superchat")).toEqual({ ours: false, count: 2 });
  });
});
