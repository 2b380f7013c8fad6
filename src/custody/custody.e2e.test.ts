/**
 * Custody end to end over HTTP on the whole runtime (dispatcher, jobs, SMTP):
 * on the embedded default and, when CI provides them, on Postgres with BullMQ
 * on Redis. Three guardian clients redeem emailed invitations, run the DKG and
 * sign; the signature passes a plain RFC 8032 verifier; a cheating guardian is
 * caught and signing completes without them; a reused commitment is refused;
 * rounds time out, retry, then fail; another vault's guardian gets 404.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";
import { fromHex } from "./hex.ts";
import { codeInMail } from "./jobs.ts";
import { type Call, GuardianClient, type Json, signedInUser, vaultWithKey } from "./testing.ts";

const ENV = {
  RATE_LIMITS_ENABLED: "false",
  ADMIN_REQUIRE_MFA: "false",
  // Short enough for the timeout test, long enough that a loaded machine finishes a normal round.
  CUSTODY_ROUND_TIMEOUT_MS: "6000",
  CUSTODY_MAX_ROUND_ATTEMPTS: "2",
};

describe.each(runtimeCases())("custody end to end on $name", (rc) => {
  let live: LiveRuntime;
  let admin: Call;
  let guardians: GuardianClient[];
  let outsider: GuardianClient;
  let vaultId: string;
  const DEST = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";

  const invitationTo = (email: string) =>
    live.smtp.messages.filter((m) => m.to.includes(email) && /custody vault/.test(m.headers.subject ?? ""));
  const codeFor = async (email: string) => {
    const until = Date.now() + 15_000;
    while (invitationTo(email).length === 0) {
      if (Date.now() > until) throw new Error(`no invitation mail for ${email}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const mail = invitationTo(email).at(-1)!;
    const code = codeInMail(mail.body.replace(/=\r?\n/g, "").replace(/\r\n/g, "\n"));
    if (!code) throw new Error(`no code in the invitation mail: ${mail.body}`);
    return code;
  };

  beforeAll(async () => {
    live = await startLiveRuntime(rc, ENV);
    const app = createApp(live.rt.deps, features);
    const deps = live.rt.deps;
    admin = (await signedInUser(deps, app, "custodian@example.com", ["admin"])).call;
    const emails = ["g1@example.com", "g2@example.com", "g3@example.com"];
    guardians = [];
    for (const e of emails)
      guardians.push(new GuardianClient((await signedInUser(deps, app, e)).call, "ed25519"));
    vaultId = await vaultWithKey(admin, guardians, emails, codeFor);
    // A guardian of another vault.
    outsider = new GuardianClient((await signedInUser(deps, app, "other@example.com")).call, "ed25519");
    const other = await admin("POST", "/v1/custody/vaults", {
      name: "Other",
      ciphersuite: "ed25519",
      threshold: 2,
      participants: 2,
    });
    await admin("POST", `/v1/custody/vaults/${other.body.id}/invitations`, { email: "other@example.com" });
    expect((await outsider.redeem(await codeFor("other@example.com"))).status).toBe(200);
  }, 240_000);
  afterAll(() => live?.close());

  const propose = async (by: GuardianClient, amount = "0.015") => {
    const res = await by.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
      chain: "bitcoin",
      destination: DEST,
      amount,
      memo: "payroll",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Json;
  };

  it("establishes the group key by DKG: every guardian agrees, the vault is active", async () => {
    const v = (await admin("GET", `/v1/custody/vaults/${vaultId}`)).body;
    expect(v.status).toBe("active");
    expect(v.key).toMatchObject({ status: "established", method: "dkg" });
    expect(v.key.groupPublicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(v.key.groupPublicKey).toBe(Buffer.from(guardians[0]!.key!.public.commitments[0]!).toString("hex"));
    expect(v.guardians.map((g: Json) => g.identifier).sort()).toEqual(
      guardians.map((g) => g.identifier).sort(),
    );
  });

  it("signs a transaction with two of three guardians; a plain Ed25519 verifier accepts it", async () => {
    const tx = await propose(guardians[0]!);
    expect(tx).toMatchObject({ status: "collecting_commitments", round: { number: 1 }, amount: "0.015" });
    const [a, b, c] = guardians;
    expect((await a!.commit(tx.id, 1)).status).toBe(200);
    const fixed = await b!.commit(tx.id, 1);
    expect(fixed.body).toMatchObject({ status: "signing" });
    expect(fixed.body.round.signers.map((s: Json) => s.userId).sort()).toEqual([a!.userId, b!.userId].sort());
    // The signer set is fixed: a third commitment is too late.
    expect((await c!.commit(tx.id, 1)).body.code).toBe("transaction_state");
    expect((await a!.share(tx.id)).status).toBe(200);
    const done = await b!.share(tx.id);
    expect(done.body).toMatchObject({ status: "signed" });
    const sig = fromHex(done.body.signature);
    const pk = fromHex(done.body.groupPublicKey);
    expect(ed25519.verify(sig, fromHex(done.body.message), pk, { zip215: false })).toBe(true);
  });

  it("catches a cheating guardian, alerts, and completes the signature without them", async () => {
    const tx = await propose(guardians[1]!);
    const [a, b, c] = guardians;
    await a!.commit(tx.id, 1);
    await c!.commit(tx.id, 1);
    const cheat = await c!.share(tx.id, { cheat: true });
    expect(cheat.status).toBe(422);
    expect(cheat.body).toMatchObject({ code: "invalid_signature_share", round: 2 });
    const after = (await admin("GET", `/v1/custody/transactions/${tx.id}`)).body;
    expect(after).toMatchObject({ status: "collecting_commitments", excluded: [c!.userId] });
    expect(after.rejectedShares).toEqual([{ userId: c!.userId, round: 1 }]);
    // The cheater is out of the next round.
    expect((await c!.commit(tx.id, 2)).body.code).toBe("not_a_signer");
    await a!.commit(tx.id, 2);
    await b!.commit(tx.id, 2);
    await a!.share(tx.id);
    const done = await b!.share(tx.id);
    expect(done.body.status).toBe("signed");
    expect(
      ed25519.verify(
        fromHex(done.body.signature),
        fromHex(done.body.message),
        fromHex(done.body.groupPublicKey),
      ),
    ).toBe(true);
    await expect
      .poll(
        async () =>
          ((await admin("GET", "/v1/security/alerts?status=open")).body.alerts as Json[]).map((x) => x.rule),
        { timeout: 15_000, interval: 100 },
      )
      .toContain("custody_invalid_share");
  });

  it("refuses a nonce commitment seen before, in any round, and records the refusal", async () => {
    const first = await propose(guardians[0]!);
    const a = guardians[0]!;
    await a.commit(first.id, 1);
    const seen = (await a.call("GET", `/v1/custody/transactions/${first.id}`)).body.round.commitments[0];
    const second = await propose(guardians[0]!);
    const reuse = await a.call("POST", `/v1/custody/transactions/${second.id}/commitments`, {
      hiding: seen.hiding,
      binding: seen.binding,
    });
    expect(reuse.status).toBe(409);
    expect(reuse.body.code).toBe("commitment_reused");
    const tx = (await a.call("GET", `/v1/custody/transactions/${second.id}`)).body;
    expect(tx.round.commitments).toEqual([]);
    await expect
      .poll(
        async () =>
          ((await admin("GET", "/v1/security/alerts?status=open")).body.alerts as Json[]).map((x) => x.rule),
        { timeout: 15_000, interval: 100 },
      )
      .toContain("custody_commitment_reuse");
    for (const id of [first.id, second.id])
      await a.call("POST", `/v1/custody/transactions/${id}/cancel`, { reason: "test over" });
  });

  it("times out a silent round, starts another, then fails the transaction", async () => {
    const tx = await propose(guardians[2]!);
    await guardians[0]!.commit(tx.id, 1);
    await expect
      .poll(async () => (await admin("GET", `/v1/custody/transactions/${tx.id}`)).body.round.number, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(2);
    await expect
      .poll(async () => (await admin("GET", `/v1/custody/transactions/${tx.id}`)).body.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe("failed");
    const final = (await admin("GET", `/v1/custody/transactions/${tx.id}`)).body;
    expect(final.statusReason).toBe("max_attempts");
  }, 60_000);

  it("answers another vault's guardian 404 on this vault and its transactions", async () => {
    const tx = await propose(guardians[0]!, "0.5");
    expect((await outsider.call("GET", `/v1/custody/vaults/${vaultId}`)).status).toBe(404);
    expect((await outsider.call("GET", `/v1/custody/vaults/${vaultId}/dkg`)).status).toBe(404);
    expect((await outsider.call("GET", `/v1/custody/transactions/${tx.id}`)).status).toBe(404);
    const commit = await outsider.call("POST", `/v1/custody/transactions/${tx.id}/commitments`, {
      hiding: (await admin("GET", `/v1/custody/vaults/${vaultId}`)).body.key.groupPublicKey,
      binding: (await admin("GET", `/v1/custody/vaults/${vaultId}`)).body.key.commitments[1],
    });
    expect(commit.status).toBe(404);
    const list = (await outsider.call("GET", "/v1/custody/vaults")).body.vaults as Json[];
    expect(list.map((v) => v.id)).not.toContain(vaultId);
  });
});
