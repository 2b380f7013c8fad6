/**
 * Vigil's signature code against the standards' own examples (EIP-712's
 * `Mail`, EIP-55's addresses, EIP-4361's message) and against an independent
 * client (viem) signing with a private key.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { base58 } from "@scure/base";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { voteDigest, voteTypedData } from "../ballot.ts";
import { domainSeparator, encodeType, hashStruct, typedDataDigest, typeHash } from "./eip712.ts";
import {
  normalizeAddress,
  personalMessageHash,
  recoverAddress,
  toChecksumAddress,
  toHex,
} from "./ethereum.ts";
import { formatSiwe, parseSiwe } from "./siwe.ts";
import { normalizeSolanaAddress, verifySolana } from "./solana.ts";

// EIP-712, "Example" (assets/eip-712/Example.js and the specification's test vectors).
const MAIL = {
  types: {
    EIP712Domain: [
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
    ],
    Person: [
      { name: "name", type: "string" },
      { name: "wallet", type: "address" },
    ],
    Mail: [
      { name: "from", type: "Person" },
      { name: "to", type: "Person" },
      { name: "contents", type: "string" },
    ],
  },
  primaryType: "Mail",
  domain: {
    name: "Ether Mail",
    version: "1",
    chainId: 1,
    verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
  },
  message: {
    from: { name: "Cow", wallet: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
    to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
    contents: "Hello, Bob!",
  },
};

describe("EIP-712: the specification's Mail example", () => {
  it("encodes the type with its dependencies", () => {
    expect(encodeType("Mail", MAIL.types)).toBe(
      "Mail(Person from,Person to,string contents)Person(string name,address wallet)",
    );
    expect(toHex(typeHash("Mail", MAIL.types))).toBe(
      "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2",
    );
  });

  it("hashes the message, the domain and the digest as the specification does", () => {
    expect(toHex(hashStruct("Mail", MAIL.message, MAIL.types))).toBe(
      "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e",
    );
    expect(toHex(domainSeparator(MAIL.domain))).toBe(
      "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f",
    );
    expect(toHex(typedDataDigest(MAIL))).toBe(
      "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2",
    );
  });

  it("recovers Cow from the specification's signature (key keccak256('cow'))", () => {
    const r = "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d";
    const s = "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562";
    expect(recoverAddress(typedDataDigest(MAIL), `0x${r}${s}1c`)).toBe(MAIL.message.from.wallet);
    const key = keccak_256(utf8ToBytes("cow"));
    const sig = secp256k1.sign(typedDataDigest(MAIL), key, { prehash: false, format: "recovered" });
    expect(toHex(sig.subarray(1, 33))).toBe(`0x${r}`);
  });

  it("agrees with viem's signTypedData", async () => {
    const account = privateKeyToAccount(toHex(keccak_256(utf8ToBytes("cow"))));
    const signature = await account.signTypedData(MAIL as Parameters<typeof account.signTypedData>[0]);
    expect(recoverAddress(typedDataDigest(MAIL), signature)).toBe(account.address);
  });
});

describe("the vote digest", () => {
  it("is the EIP-712 digest of the vote's typed data, again and again (its hashes are memoized)", () => {
    const voter = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const votes = [
      { proposalId: "0190c9a2-7c3e-7000-8000-000000000001", choice: "for", voter, signedAt: 1, reason: "" },
      {
        proposalId: "0190c9a2-7c3e-7000-8000-000000000001",
        choice: "against",
        voter,
        signedAt: 2,
        reason: "",
      },
      {
        proposalId: "0190c9a2-7c3e-7000-8000-000000000002",
        choice: "for",
        voter,
        signedAt: 3,
        reason: "ünï ✓",
      },
      {
        proposalId: "0190c9a2-7c3e-7000-8000-000000000002",
        choice: "for",
        voter,
        signedAt: 3,
        reason: "other",
      },
    ];
    for (let round = 0; round < 3; round++) {
      for (const chainId of [1, 11155111]) {
        for (const v of votes) {
          expect(toHex(voteDigest(chainId, v))).toBe(toHex(typedDataDigest(voteTypedData(chainId, v))));
        }
      }
    }
  });
});

describe("EIP-55 checksummed addresses", () => {
  const examples = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  ];
  it.each(examples.slice(2))("checksums %s", (a) => {
    expect(toChecksumAddress(a.toLowerCase())).toBe(a);
    expect(normalizeAddress(a)).toBe(a);
  });
  it("accepts all-caps and all-lowercase forms, refuses a wrong mixed case", () => {
    expect(normalizeAddress(examples[0]!)).toBe("0x52908400098527886E0F7030069857D2E4169EE7");
    expect(normalizeAddress(examples[1]!)).toBe("0xde709f2102306220921060314715629080e2fb77");
    expect(normalizeAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")).toBeUndefined();
    expect(normalizeAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA")).toBeUndefined();
  });
});

describe("EIP-191 personal_sign", () => {
  it("hashes with the Ethereum Signed Message prefix", () => {
    expect(toHex(personalMessageHash("hello world"))).toBe(
      "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",
    );
  });
  it("recovers the signer of viem's signMessage, and nobody from a tampered message", async () => {
    const account = privateKeyToAccount(toHex(keccak_256(utf8ToBytes("vigil test key"))));
    const signature = await account.signMessage({ message: "Link this wallet" });
    expect(recoverAddress(personalMessageHash("Link this wallet"), signature)).toBe(account.address);
    expect(recoverAddress(personalMessageHash("Link this wallet!"), signature)).not.toBe(account.address);
  });
  it("refuses high-s twins and malformed signatures", async () => {
    const account = privateKeyToAccount(toHex(keccak_256(utf8ToBytes("vigil test key"))));
    const signature = await account.signMessage({ message: "m" });
    const hash = personalMessageHash("m");
    const sig = secp256k1.Signature.fromBytes(hexToBytes(signature.slice(2, 130)), "compact");
    const n = secp256k1.Point.CURVE().n;
    const twin = new secp256k1.Signature(sig.r, n - sig.s).toHex("compact");
    const v = Number.parseInt(signature.slice(130), 16) === 27 ? "1c" : "1b";
    expect(recoverAddress(hash, `0x${twin}${v}`)).toBeUndefined();
    expect(recoverAddress(hash, "0x1234")).toBeUndefined();
    expect(recoverAddress(hash, `0x${"00".repeat(64)}1b`)).toBeUndefined();
    expect(recoverAddress(hash, `${signature.slice(0, 130)}05`)).toBeUndefined();
  });
});

describe("EIP-4361 messages", () => {
  // The specification's example message.
  const EXAMPLE = [
    "service.invalid wants you to sign in with your Ethereum account:",
    "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    "",
    "I accept the ServiceOrg Terms of Service: https://service.invalid/tos",
    "",
    "URI: https://service.invalid/login",
    "Version: 1",
    "Chain ID: 1",
    "Nonce: 32891756",
    "Issued At: 2021-09-30T16:25:24Z",
    "Resources:",
    "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
    "- https://example.com/my-web2-claim.json",
  ].join("\n");

  it("parses the specification's example and formats it back byte for byte", () => {
    const m = parseSiwe(EXAMPLE);
    expect(m).toMatchObject({
      chain: "ethereum",
      domain: "service.invalid",
      address: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
      uri: "https://service.invalid/login",
      chainId: "1",
      nonce: "32891756",
      issuedAt: "2021-09-30T16:25:24Z",
    });
    expect(m!.resources).toHaveLength(2);
    expect(formatSiwe(m!)).toBe(EXAMPLE);
  });

  it("refuses what is not one", () => {
    expect(parseSiwe("hello")).toBeUndefined();
    expect(parseSiwe(EXAMPLE.replace("Nonce: 32891756", "Nonce: abc"))).toBeUndefined();
    expect(parseSiwe(EXAMPLE.replace("Version: 1", "Version: 2"))).toBeUndefined();
    expect(parseSiwe(`${EXAMPLE}\nextra`)).toBeUndefined();
    expect(parseSiwe(EXAMPLE.replaceAll("\n", "\r\n"))).toBeUndefined();
  });
});

describe("Solana: ed25519 with base58 keys", () => {
  const secret = keccak_256(utf8ToBytes("solana test key"));
  const address = base58.encode(ed25519.getPublicKey(secret));
  it("verifies a signature over the message bytes and nothing else", () => {
    const sig = base58.encode(ed25519.sign(utf8ToBytes("vote"), secret));
    expect(normalizeSolanaAddress(address)).toBe(address);
    expect(verifySolana("vote", sig, address)).toBe(true);
    expect(verifySolana("vote!", sig, address)).toBe(false);
    expect(
      verifySolana("vote", sig, base58.encode(ed25519.getPublicKey(keccak_256(utf8ToBytes("other key"))))),
    ).toBe(false);
    expect(verifySolana("vote", "0OIl", address)).toBe(false);
    expect(normalizeSolanaAddress("0x1234")).toBeUndefined();
  });
});
