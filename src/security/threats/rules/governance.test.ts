/** Governance threat rules, given/when/then: veto storm, vote refusals. */
import { describe, expect, it } from "vitest";
import { ev, series, uid } from "../testing.ts";
import { vetoStorm, voteRefusals } from "./governance.ts";

const veto = (n: number, at: number) =>
  ev(
    "GuardianVetoCast",
    { proposalId: uid(100 + n), guardianId: uid(n % 2), reason: "r", vetoes: 1, needed: 1 },
    { at },
  );
const refused = (user: number, at: number) =>
  ev(
    "VoteRefused",
    { proposalId: uid(9), userId: uid(user), reason: "bad_signature", chain: "ethereum" },
    { at },
  );

describe("veto storm (>= 3 guardian vetoes within an hour)", () => {
  it("given 3 vetoes within the hour, raises a critical global alert with them as evidence", () => {
    const [window, trigger] = series(3, (i) => veto(i, i * 600));
    const alerts = vetoStorm(window, trigger);
    expect(alerts).toEqual([
      expect.objectContaining({ rule: "veto_storm", severity: "critical", subject: { kind: "global" } }),
    ]);
    expect(alerts[0]!.eventIds).toHaveLength(3);
  });

  it("given 2 vetoes, or 3 spread over more than an hour, raises nothing", () => {
    const [two, t2] = series(2, (i) => veto(i, i));
    expect(vetoStorm(two, t2)).toEqual([]);
    const [spread, t3] = series(3, (i) => veto(i, i * 1900));
    expect(vetoStorm(spread, t3)).toEqual([]);
  });
});

describe("vote refusals (>= 10 by one account within 10 minutes)", () => {
  it("given 10 refusals of one account, raises a high alert about that account", () => {
    const [window, trigger] = series(10, (i) => refused(1, i * 10));
    expect(voteRefusals(window, trigger)).toEqual([
      expect.objectContaining({
        rule: "vote_refusals",
        severity: "high",
        subject: { kind: "account", account: uid(1) },
      }),
    ]);
  });

  it("given 9 of one account and others' refusals, raises nothing", () => {
    const [window, trigger] = series(14, (i) => refused(i < 9 ? 1 : 2 + i, i * 10));
    expect(voteRefusals(window, window[8]!)).toEqual([]);
    expect(voteRefusals(window, trigger)).toEqual([]);
  });
});
