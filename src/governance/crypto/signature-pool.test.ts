/**
 * The vote path's signature checks in worker threads answer exactly as the
 * checks on the calling thread do (viem signing, as an independent client),
 * high-s twins and malformed signatures included; they run concurrently, and a
 * closed pool still answers (on the calling thread). And the vote digest with
 * its cached domain separator is the general EIP-712 digest.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { base58 } from "@scure/base";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { checkVote, type VoteFields, verifyVote, voteDigest, voteTypedData } from "../ballot.ts";
import { typedDataDigest } from "./eip712.ts";
import { recoverAddress, toHex } from "./ethereum.ts";
import { inlineSignatures, signaturePool } from "./signature-pool.ts";

const account = privateKeyToAccount(toHex(keccak_256(utf8ToBytes("pool test key"))));
const fields = (over: Partial<VoteFields> = {}): VoteFields => ({
  proposalId: "0195a3c2-7d10-7c4e-9a51-2f0b8e6d4c11",
  choice: "for",
  voter: account.address,
  signedAt: 1772359200,
  reason: "",
  ...over,
});
const signVote = (chainId: number, v: VoteFields) =>
  account.signTypedData(voteTypedData(chainId, v) as Parameters<typeof account.signTypedData>[0]);

function highS(signature: string): string {
  const sig = secp256k1.Signature.fromBytes(hexToBytes(signature.slice(2, 130)), "compact");
  const twin = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s).toHex("compact");
  return `0x${twin}${Number.parseInt(signature.slice(130), 16) === 27 ? "1c" : "1b"}`;
}

describe("voteDigest", () => {
  it("is the general EIP-712 digest of the vote's typed data, for every chain id and field", () => {
    const cases: [number, VoteFields][] = [
      [1, fields()],
      [1, fields({ choice: "against", reason: "too costly — ünïcode" })],
      [137, fields({ signedAt: 0 })],
      [11155111, fields({ signedAt: 2 ** 53 - 1, voter: account.address.toLowerCase() })],
    ];
    for (const [chainId, v] of cases) {
      expect(toHex(voteDigest(chainId, v))).toBe(toHex(typedDataDigest(voteTypedData(chainId, v))));
    }
  });

  it("is what viem signs: the signature recovers the voter, and only for the same fields and chain", async () => {
    const v = fields();
    const signature = await signVote(1, v);
    expect(verifyVote("ethereum", "1", v, signature)).toBe(true);
    expect(verifyVote("ethereum", "5", v, signature)).toBe(false);
    expect(verifyVote("ethereum", "1", fields({ choice: "against" }), signature)).toBe(false);
    expect(verifyVote("ethereum", "1", fields({ proposalId: "another" }), signature)).toBe(false);
  });
});

describe("signature pool (worker threads)", () => {
  const pool = signaturePool(2);
  pool.warm();
  afterAll(() => pool.close());

  it("recovers the same addresses as the calling thread, concurrently", async () => {
    const votes = Array.from({ length: 12 }, (_, i) => fields({ signedAt: 1772359200 + i }));
    const signatures = await Promise.all(votes.map((v) => signVote(1, v)));
    const digests = votes.map((v) => voteDigest(1, v));
    const fromPool = await Promise.all(digests.map((d, i) => pool.recoverAddress(d, signatures[i]!)));
    expect(fromPool).toEqual(digests.map((d, i) => recoverAddress(d, signatures[i]!)));
    expect(new Set(fromPool)).toEqual(new Set([account.address]));
    // Another vote's digest recovers someone else (or nobody), never the voter.
    expect(await pool.recoverAddress(digests[1]!, signatures[0]!)).not.toBe(account.address);
  });

  it("refuses high-s twins and malformed signatures before any curve work", async () => {
    const v = fields();
    const signature = await signVote(1, v);
    const digest = voteDigest(1, v);
    expect(recoverAddress(digest, highS(signature))).toBeUndefined();
    for (const bad of [
      highS(signature),
      "0x1234",
      `0x${"00".repeat(64)}1b`,
      `${signature.slice(0, 130)}05`,
    ]) {
      expect(await pool.recoverAddress(digest, bad)).toBeUndefined();
      expect(await checkVote(pool, "ethereum", "1", v, bad)).toBe(false);
    }
    expect(await checkVote(pool, "ethereum", "1", v, signature)).toBe(true);
    expect(await checkVote(pool, "ethereum", "x", v, signature)).toBe(false);
  });

  it("verifies Solana ed25519 signatures strictly, like the calling thread", async () => {
    const secret = keccak_256(utf8ToBytes("solana pool key"));
    const address = base58.encode(ed25519.getPublicKey(secret));
    const sig = base58.encode(ed25519.sign(utf8ToBytes("vote"), secret));
    expect(await pool.verifySolana("vote", sig, address)).toBe(true);
    expect(await pool.verifySolana("vote!", sig, address)).toBe(false);
    expect(await pool.verifySolana("vote", "0OIl", address)).toBe(false);
    expect(await inlineSignatures.verifySolana("vote", sig, address)).toBe(true);
  });

  it("still answers, on the calling thread, once closed", async () => {
    const closed = signaturePool(1);
    await closed.close();
    const v = fields();
    const signature = await signVote(1, v);
    expect(await closed.recoverAddress(voteDigest(1, v), signature)).toBe(account.address);
    expect(await closed.recoverAddress(voteDigest(1, v), highS(signature))).toBeUndefined();
  });
});
