/**
 * Custody flows over HTTP on the embedded default (app.request, PGlite): a
 * Taproot vault by DKG whose signature passes BIP-340; a secp256k1 vault whose
 * key is imported from a trusted dealer; freezing expires open transactions;
 * a disagreeing DKG report starts the DKG over; invitations are single use.
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness } from "../access/testing.ts";
import { fromHex, toHex } from "./hex.ts";
import { SUITES } from "./suites.ts";
import { type Call, GuardianClient, type Json, signedInUser, vaultWithKey } from "./testing.ts";

let h: AccessHarness;
let admin: Call;
let n = 0;

async function codeFor(email: string): Promise<string> {
  const e = (await h.events())
    .filter((x) => x.type === "GuardianInvited" && (x.data as Json).email === email)
    .at(-1)!;
  return h.deps.auth.links.derive("custody_invitation", e.eventId);
}

async function people(count: number, suite: "ed25519" | "secp256k1" | "taproot") {
  const emails = Array.from({ length: count }, () => `p${++n}@example.com`);
  const gs: GuardianClient[] = [];
  for (const e of emails) gs.push(new GuardianClient((await signedInUser(h.deps, h.app, e)).call, suite));
  return { emails, gs };
}

async function sign(vaultId: string, a: GuardianClient, b: GuardianClient) {
  const tx = (
    await a.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
      chain: "ethereum",
      destination: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      amount: "0.25",
    })
  ).body;
  await a.commit(tx.id, 1);
  await b.commit(tx.id, 1);
  await a.share(tx.id);
  return (await b.share(tx.id)).body;
}

beforeAll(async () => {
  h = await accessHarness({ env: { RATE_LIMITS_ENABLED: "false", ADMIN_REQUIRE_MFA: "false" } });
  admin = (await signedInUser(h.deps, h.app, "admin@example.com", ["admin"])).call;
}, 240_000);
afterAll(() => h.close());

describe("custody flows", () => {
  it("runs a Taproot DKG and signs; the signature passes a plain BIP-340 verifier", async () => {
    const { emails, gs } = await people(3, "taproot");
    const vaultId = await vaultWithKey(admin, gs, emails, codeFor, { suite: "taproot" });
    const done = await sign(vaultId, gs[2]!, gs[0]!);
    expect(done.status).toBe("signed");
    const xOnly = fromHex(done.groupPublicKey).slice(1);
    expect(schnorr.verify(fromHex(done.signature), fromHex(done.message), xOnly)).toBe(true);
  }, 60_000);

  it("imports a trusted dealer's public key package and signs with its shares", async () => {
    const { emails, gs } = await people(3, "secp256k1");
    const created = await admin("POST", "/v1/custody/vaults", {
      name: "Imported",
      ciphersuite: "secp256k1",
      threshold: 2,
      participants: 3,
    });
    const vaultId = created.body.id as string;
    for (const [i, g] of gs.entries()) {
      await admin("POST", `/v1/custody/vaults/${vaultId}/invitations`, { email: emails[i] });
      expect((await g.redeem(await codeFor(emails[i]!))).status).toBe(200);
    }
    const F = SUITES.secp256k1.frost;
    const deal = F.trustedDealer(
      { min: 2, max: 3 },
      gs.map((g) => g.identifier),
    );
    const pkg = {
      commitments: deal.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(deal.public.verifyingShares).map(([k, v]) => [k, toHex(v)]),
      ),
    };
    // A package for other identifiers is refused.
    const other = F.trustedDealer(
      { min: 2, max: 3 },
      [7, 8, 9].map((i) => F.Identifier.fromNumber(i)),
    );
    const wrong = await admin("POST", `/v1/custody/vaults/${vaultId}/key`, {
      commitments: other.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(other.public.verifyingShares).map(([k, v]) => [k, toHex(v)]),
      ),
    });
    expect(wrong.body.code).toBe("key_invalid");
    const imported = await admin("POST", `/v1/custody/vaults/${vaultId}/key`, pkg);
    expect(imported.body).toMatchObject({
      status: "active",
      key: { method: "import", groupPublicKey: pkg.commitments[0] },
    });
    for (const g of gs) g.key = { public: deal.public, secret: deal.secretShares[g.identifier]! };
    const done = await sign(vaultId, gs[0]!, gs[1]!);
    expect(done.status).toBe("signed");
    expect(
      SUITES.secp256k1.verifySignature(
        fromHex(done.signature),
        fromHex(done.message),
        fromHex(pkg.commitments[0]!),
      ),
    ).toBe(true);
  }, 60_000);

  it("freezing expires open transactions and refuses new ones until unfrozen", async () => {
    const { emails, gs } = await people(2, "ed25519");
    const vaultId = await vaultWithKey(admin, gs, emails, codeFor);
    const tx = (
      await gs[0]!.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
        chain: "solana",
        destination: "11111111111111111111111111111111",
        amount: "2",
      })
    ).body;
    expect(
      (await admin("POST", `/v1/custody/vaults/${vaultId}/freeze`, { reason: "device lost" })).body.status,
    ).toBe("frozen");
    expect((await admin("GET", `/v1/custody/transactions/${tx.id}`)).body).toMatchObject({
      status: "expired",
      statusReason: "vault_frozen",
    });
    const refused = await gs[0]!.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
      chain: "solana",
      destination: "11111111111111111111111111111111",
      amount: "2",
    });
    expect(refused.body.code).toBe("vault_state");
    expect(
      (await admin("POST", `/v1/custody/vaults/${vaultId}/unfreeze`, { reason: "device found" })).body.status,
    ).toBe("active");
    expect((await sign(vaultId, gs[0]!, gs[1]!)).status).toBe("signed");
    expect(
      (await admin("POST", `/v1/custody/vaults/${vaultId}/archive`, { reason: "retired" })).body.status,
    ).toBe("archived");
    expect(
      (await admin("POST", `/v1/custody/vaults/${vaultId}/unfreeze`, { reason: "oops" })).body.code,
    ).toBe("vault_state");
  }, 60_000);

  it("starts the DKG over when final packages disagree; an invitation works once", async () => {
    const { emails, gs } = await people(2, "ed25519");
    const created = await admin("POST", "/v1/custody/vaults", {
      name: "D",
      ciphersuite: "ed25519",
      threshold: 2,
      participants: 2,
    });
    const vaultId = created.body.id as string;
    for (const [i, g] of gs.entries()) {
      await admin("POST", `/v1/custody/vaults/${vaultId}/invitations`, { email: emails[i] });
      const code = await codeFor(emails[i]!);
      expect((await g.redeem(code)).status).toBe(200);
      expect((await g.redeem(code)).body.code).toBe("invitation_invalid");
    }
    for (const g of gs) expect((await g.dkgRound1(vaultId, 2, 2)).status).toBe(200);
    for (const g of gs) expect((await g.dkgRound2(vaultId)).status).toBe(200);
    expect((await gs[0]!.dkgRound3(vaultId)).status).toBe(200);
    // The second guardian reports a package for a different key.
    const other = SUITES.ed25519.frost.trustedDealer(
      { min: 2, max: 2 },
      gs.map((g) => g.identifier),
    );
    const bad = await gs[1]!.call("POST", `/v1/custody/vaults/${vaultId}/dkg/3`, {
      commitments: other.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(other.public.verifyingShares).map(([k, v]) => [k, toHex(v)]),
      ),
    });
    expect(bad.body.code).toBe("dkg_disagreement");
    const dkg = (await admin("GET", `/v1/custody/vaults/${vaultId}/dkg`)).body;
    expect(dkg).toMatchObject({ status: "pending_keygen", round1: [], round3: { submitted: [] } });
    expect((await h.events()).some((e) => e.type === "DkgFailed")).toBe(true);
  }, 60_000);
});
