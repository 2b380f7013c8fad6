/**
 * Hostile input on every custody route: wrong lengths, off-curve and identity
 * points, out-of-range scalars, non-hex, bad addresses and amounts, control
 * characters, oversized bodies, unknown ids. Each answers its own problem code
 * and appends nothing to the log.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness } from "../access/testing.ts";
import { type Call, GuardianClient, type Json, signedInUser, vaultWithKey } from "./testing.ts";

let h: AccessHarness;
let admin: Call;
let guardians: GuardianClient[];
let vaultId: string;
let pendingVault: string;
let txId: string;
let spareCode = "";

const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const hex = (n: number, byte = "ab") => byte.repeat(n);
const IDENTITY = `01${"00".repeat(31)}`;
/** 32 bytes that decode to no Ed25519 point (found with the library). */
const OFF_CURVE = (() => {
  for (let i = 2; ; i++) {
    const b = new Uint8Array(32);
    b[0] = i;
    try {
      ed25519.Point.fromBytes(b);
    } catch {
      return Buffer.from(b).toString("hex");
    }
  }
})();

async function codeFor(email: string): Promise<string> {
  const e = (await h.events())
    .filter((x) => x.type === "GuardianInvited" && (x.data as Json).email === email)
    .at(-1)!;
  return h.deps.auth.links.derive("custody_invitation", e.eventId);
}

beforeAll(async () => {
  h = await accessHarness({ env: { RATE_LIMITS_ENABLED: "false", ADMIN_REQUIRE_MFA: "false" } });
  admin = (await signedInUser(h.deps, h.app, "admin@example.com", ["admin"])).call;
  const emails = ["a@example.com", "b@example.com", "c@example.com"];
  guardians = [];
  for (const e of emails)
    guardians.push(new GuardianClient((await signedInUser(h.deps, h.app, e)).call, "ed25519"));
  vaultId = await vaultWithKey(admin, guardians, emails, codeFor);
  const tx = await guardians[0]!.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
    chain: "solana",
    destination: "11111111111111111111111111111111",
    amount: "1.5",
  });
  txId = tx.body.id;
  // A vault still waiting for its key, with both guardians in, and one unused invitation elsewhere.
  const pending = await admin("POST", "/v1/custody/vaults", {
    name: "Pending",
    ciphersuite: "ed25519",
    threshold: 2,
    participants: 2,
  });
  pendingVault = pending.body.id;
  for (const g of guardians.slice(0, 2)) {
    const email = g === guardians[0] ? "a@example.com" : "b@example.com";
    await admin("POST", `/v1/custody/vaults/${pendingVault}/invitations`, { email });
    const r = await g.redeem(await codeFor(email));
    expect(r.status).toBe(200);
  }
  const spare = await admin("POST", "/v1/custody/vaults", {
    name: "Spare",
    ciphersuite: "secp256k1",
    threshold: 2,
    participants: 3,
  });
  await admin("POST", `/v1/custody/vaults/${spare.body.id}/invitations`, { email: "c@example.com" });
  spareCode = await codeFor("c@example.com");
}, 240_000);
afterAll(() => h.close());

type Case = [
  name: string,
  who: () => Call,
  method: string,
  path: () => string,
  body: unknown,
  status: number,
  code: string,
];

const g0 = () => guardians[0]!.call;
const g1 = () => guardians[1]!.call;
const adm = () => admin;
const pt = (hiding: string, binding = hex(32, "cd")) => ({ hiding, binding });

const CASES: Case[] = [
  [
    "vault: t above n",
    adm,
    "POST",
    () => "/v1/custody/vaults",
    { name: "x", ciphersuite: "ed25519", threshold: 3, participants: 2 },
    400,
    "validation_failed",
  ],
  [
    "vault: n above 15",
    adm,
    "POST",
    () => "/v1/custody/vaults",
    { name: "x", ciphersuite: "ed25519", threshold: 2, participants: 16 },
    400,
    "validation_failed",
  ],
  [
    "vault: unknown ciphersuite",
    adm,
    "POST",
    () => "/v1/custody/vaults",
    { name: "x", ciphersuite: "ed448", threshold: 2, participants: 2 },
    400,
    "validation_failed",
  ],
  [
    "vault: malformed id",
    adm,
    "GET",
    () => "/v1/custody/vaults/not-a-uuid",
    undefined,
    400,
    "validation_failed",
  ],
  ["vault: unknown id", adm, "GET", () => `/v1/custody/vaults/${UNKNOWN}`, undefined, 404, "not_found"],
  [
    "invite: unknown vault",
    adm,
    "POST",
    () => `/v1/custody/vaults/${UNKNOWN}/invitations`,
    { email: "x@example.com" },
    404,
    "not_found",
  ],
  [
    "invite: active vault",
    adm,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/invitations`,
    { email: "x@example.com" },
    409,
    "vault_state",
  ],
  [
    "invite: not an email",
    adm,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/invitations`,
    { email: "nope" },
    400,
    "validation_failed",
  ],
  [
    "redeem: unknown code",
    g0,
    "POST",
    () => "/v1/custody/invitations/redeem",
    { code: "A".repeat(43), transportPublicKey: hex(32) },
    400,
    "invitation_invalid",
  ],
  [
    "redeem: key not hex",
    () => guardians[2]!.call,
    "POST",
    () => "/v1/custody/invitations/redeem",
    () => ({ code: spareCode, transportPublicKey: "zz".repeat(32) }),
    400,
    "validation_failed",
  ],
  [
    "redeem: key 31 bytes",
    () => guardians[2]!.call,
    "POST",
    () => "/v1/custody/invitations/redeem",
    () => ({ code: spareCode, transportPublicKey: hex(31) }),
    400,
    "invalid_length",
  ],
  [
    "redeem: all-zero key",
    () => guardians[2]!.call,
    "POST",
    () => "/v1/custody/invitations/redeem",
    () => ({ code: spareCode, transportPublicKey: hex(32, "00") }),
    422,
    "invalid_point",
  ],
  [
    "remove: unknown guardian",
    adm,
    "DELETE",
    () => `/v1/custody/vaults/${vaultId}/guardians/${UNKNOWN}`,
    undefined,
    404,
    "not_found",
  ],
  [
    "dkg: round 4",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/4`,
    {},
    400,
    "validation_failed",
  ],
  [
    "dkg: active vault",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/dkg/1`,
    { commitment: [hex(32), hex(32)], proofOfKnowledge: hex(64) },
    409,
    "vault_state",
  ],
  [
    "dkg: round 2 before round 1",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/2`,
    { packages: [{ to: UNKNOWN, ciphertext: hex(60) }] },
    409,
    "dkg_state",
  ],
  [
    "dkg: commitment not hex",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/1`,
    { commitment: ["xyz"], proofOfKnowledge: hex(64) },
    400,
    "validation_failed",
  ],
  [
    "dkg: too few commitment points",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/1`,
    { commitment: [hex(32)], proofOfKnowledge: hex(64) },
    400,
    "invalid_length",
  ],
  [
    "dkg: point of 33 bytes",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/1`,
    { commitment: [hex(33), hex(33)], proofOfKnowledge: hex(64) },
    400,
    "invalid_length",
  ],
  [
    "dkg: off-curve point",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/1`,
    { commitment: [OFF_CURVE, OFF_CURVE], proofOfKnowledge: hex(64) },
    422,
    "invalid_point",
  ],
  [
    "dkg: identity point",
    g0,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/dkg/1`,
    { commitment: [IDENTITY, IDENTITY], proofOfKnowledge: hex(64) },
    422,
    "invalid_point",
  ],
  [
    "dkg: unknown vault",
    g0,
    "POST",
    () => `/v1/custody/vaults/${UNKNOWN}/dkg/1`,
    { commitment: [hex(32)], proofOfKnowledge: hex(64) },
    404,
    "not_found",
  ],
  [
    "import: a verifying share missing",
    adm,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/key`,
    () => ({
      commitments: [ed25519.Point.BASE.toHex(), ed25519.Point.BASE.double().toHex()],
      verifyingShares: {},
    }),
    422,
    "key_invalid",
  ],
  [
    "import: off-curve group key",
    adm,
    "POST",
    () => `/v1/custody/vaults/${pendingVault}/key`,
    { commitments: [OFF_CURVE, OFF_CURVE], verifyingShares: {} },
    422,
    "invalid_point",
  ],
  [
    "import: active vault",
    adm,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/key`,
    { commitments: [hex(32)], verifyingShares: {} },
    409,
    "vault_state",
  ],
  [
    "unfreeze: an active vault",
    adm,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/unfreeze`,
    { reason: "no reason" },
    409,
    "vault_state",
  ],
  [
    "freeze: unknown vault",
    adm,
    "POST",
    () => `/v1/custody/vaults/${UNKNOWN}/freeze`,
    { reason: "no reason" },
    404,
    "not_found",
  ],
  [
    "propose: bad bitcoin checksum",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "bitcoin", destination: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", amount: "1" },
    400,
    "invalid_address",
  ],
  [
    "propose: bad EIP-55 checksum",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "ethereum", destination: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", amount: "1" },
    400,
    "invalid_address",
  ],
  [
    "propose: solana key of 31 bytes",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "1111111111111111111111111111111", amount: "1" },
    400,
    "invalid_address",
  ],
  [
    "propose: zero amount",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "0.000" },
    400,
    "invalid_amount",
  ],
  [
    "propose: too many decimals",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "bitcoin", destination: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", amount: "0.000000001" },
    400,
    "invalid_amount",
  ],
  [
    "propose: more than all bitcoin",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    {
      chain: "bitcoin",
      destination: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
      amount: "21000000.00000001",
    },
    400,
    "invalid_amount",
  ],
  [
    "propose: negative amount",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "-1" },
    400,
    "invalid_amount",
  ],
  [
    "propose: control character in memo",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "1", memo: "pay\u0007" },
    400,
    "validation_failed",
  ],
  [
    "propose: bidi override in memo",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "1", memo: "pay\u202e" },
    400,
    "validation_failed",
  ],
  [
    "propose: memo of 257 characters",
    g0,
    "POST",
    () => `/v1/custody/vaults/${vaultId}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "1", memo: "m".repeat(257) },
    400,
    "validation_failed",
  ],
  [
    "propose: unknown vault",
    g0,
    "POST",
    () => `/v1/custody/vaults/${UNKNOWN}/transactions`,
    { chain: "solana", destination: "11111111111111111111111111111111", amount: "1" },
    404,
    "not_found",
  ],
  [
    "transaction: unknown id",
    g0,
    "GET",
    () => `/v1/custody/transactions/${UNKNOWN}`,
    undefined,
    404,
    "not_found",
  ],
  [
    "commit: not hex",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/commitments`,
    pt("g".repeat(64)),
    400,
    "validation_failed",
  ],
  [
    "commit: 31 bytes",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/commitments`,
    pt(hex(31)),
    400,
    "invalid_length",
  ],
  [
    "commit: off-curve",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/commitments`,
    pt(OFF_CURVE),
    422,
    "invalid_point",
  ],
  [
    "commit: identity",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/commitments`,
    pt(IDENTITY),
    422,
    "invalid_point",
  ],
  [
    "commit: unknown transaction",
    g0,
    "POST",
    () => `/v1/custody/transactions/${UNKNOWN}/commitments`,
    pt(hex(32)),
    404,
    "not_found",
  ],
  [
    "share: 33 bytes",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/shares`,
    { share: hex(33) },
    400,
    "invalid_length",
  ],
  [
    "share: above the group order",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/shares`,
    { share: hex(32, "ff") },
    422,
    "invalid_scalar",
  ],
  [
    "share: before the signing package",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/shares`,
    { share: hex(32, "01") },
    409,
    "transaction_state",
  ],
  [
    "share: unknown transaction",
    g0,
    "POST",
    () => `/v1/custody/transactions/${UNKNOWN}/shares`,
    { share: hex(32, "01") },
    404,
    "not_found",
  ],
  [
    "cancel: not the proposer",
    g1,
    "POST",
    () => `/v1/custody/transactions/${txId}/cancel`,
    { reason: "not mine" },
    403,
    "forbidden",
  ],
  [
    "cancel: unknown transaction",
    g0,
    "POST",
    () => `/v1/custody/transactions/${UNKNOWN}/cancel`,
    { reason: "whatever" },
    404,
    "not_found",
  ],
  [
    "oversized body",
    g0,
    "POST",
    () => `/v1/custody/transactions/${txId}/commitments`,
    { hiding: "ab".repeat(600_000), binding: hex(32) },
    413,
    "payload_too_large",
  ],
];

describe("custody routes refuse hostile input with their own code and write nothing", () => {
  it.each(CASES)("%s", async (_name, who, method, path, body, status, code) => {
    const before = (await h.events()).length;
    const res = await who()(method, path(), typeof body === "function" ? body() : body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.code).toBe(code);
    expect((await h.events()).length).toBe(before);
  });

  it("a viewer reads every vault and writes nothing", async () => {
    const viewer = await signedInUser(h.deps, h.app, "viewer@example.com", ["viewer"]);
    expect((await viewer.call("GET", `/v1/custody/vaults/${vaultId}`)).status).toBe(200);
    const before = (await h.events()).length;
    const res = await viewer.call("POST", `/v1/custody/transactions/${txId}/commitments`, pt(hex(32)));
    expect(res.status).toBe(403);
    expect((await h.events()).length).toBe(before);
  });
});
