/** The custody threat rules, given/when/then on hand-made events. */
import { describe, expect, it } from "vitest";
import { ev, uid } from "../testing.ts";
import { custodyCommitmentReuse, custodyInvalidShare, custodyRoundTimeouts } from "./custody.ts";

const vaultA = uid(1);
const vaultB = uid(2);
const timedOut = (vaultId: string, at: number) =>
  ev("SigningRoundTimedOut", { vaultId, txId: uid(9), round: 1, missing: [] }, { at });

describe("custody threat rules", () => {
  it("raises a high alert about the guardian for every invalid share", () => {
    const e = ev("SignatureShareRejected", { userId: uid(5), vaultId: vaultA });
    expect(custodyInvalidShare([], e)).toEqual([
      expect.objectContaining({
        rule: "custody_invalid_share",
        severity: "high",
        subject: { kind: "account", account: uid(5) },
        eventIds: [e.eventId],
        periodMs: null,
      }),
    ]);
  });

  it("raises a high alert about the guardian for every refused commitment reuse", () => {
    const e = ev("NonceCommitmentRefused", { userId: uid(6), vaultId: vaultA });
    expect(custodyCommitmentReuse([], e)[0]).toMatchObject({
      rule: "custody_commitment_reuse",
      severity: "high",
    });
  });

  it("alerts on the third timeout of one vault within an hour, and only for that vault", () => {
    const window = [timedOut(vaultA, 0), timedOut(vaultB, 100), timedOut(vaultA, 600)];
    const third = timedOut(vaultA, 1200);
    expect(custodyRoundTimeouts(window.slice(0, 2), window[2]!)).toEqual([]);
    const [alert] = custodyRoundTimeouts(window, third);
    expect(alert).toMatchObject({
      rule: "custody_round_timeouts",
      subject: { kind: "vault", vaultId: vaultA },
    });
    expect(alert!.eventIds).toHaveLength(3);
    // Spread over more than an hour: no alert.
    expect(
      custodyRoundTimeouts([timedOut(vaultA, 0), timedOut(vaultA, 1800)], timedOut(vaultA, 3700)),
    ).toEqual([]);
    expect(custodyRoundTimeouts(window, timedOut(vaultB, 1200))).toEqual([]);
  });
});
