/** Address and amount validation per chain, checked against the BIPs' own vectors and viem's EIP-55. */
import fc from "fast-check";
import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { canonicalAddress, canonicalAmount, eip55 } from "./addresses.ts";
import { transactionMessage } from "./message.ts";

const refused = (f: () => unknown, code: string) => {
  try {
    f();
  } catch (err) {
    expect((err as { code: string }).code).toBe(code);
    return;
  }
  throw new Error("accepted");
};

describe("bitcoin addresses", () => {
  it.each([
    ["BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"],
    [
      "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
      "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    ],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ],
    ["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"],
    ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"],
  ])("accepts %s", (address, canonical) => {
    expect(canonicalAddress("bitcoin", address)).toBe(canonical);
  });

  it.each([
    ["a bech32 checksum error", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5"],
    ["mixed case", "bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"],
    [
      "v1 with a bech32 (not bech32m) checksum",
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    ],
    ["v0 with a bech32m checksum", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kejvssa"],
    ["a testnet address", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"],
    ["a base58check checksum error", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"],
    ["a testnet P2PKH", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"],
    ["garbage", "hello world"],
  ])("refuses %s", (_why, address) => refused(() => canonicalAddress("bitcoin", address), "invalid_address"));
});

describe("ethereum addresses", () => {
  it("computes EIP-55 exactly as viem does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const lower = `0x${Buffer.from(bytes).toString("hex")}`;
        expect(eip55(lower)).toBe(getAddress(lower));
      }),
      { numRuns: 200 },
    );
  });

  it("accepts a valid checksum, all lowercase and all uppercase; refuses a wrong checksum", () => {
    const good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    expect(canonicalAddress("ethereum", good)).toBe(good);
    expect(canonicalAddress("ethereum", good.toLowerCase())).toBe(good.toLowerCase());
    expect(canonicalAddress("ethereum", `0x${good.slice(2).toUpperCase()}`)).toBeTruthy();
    refused(
      () => canonicalAddress("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
      "invalid_address",
    );
    refused(
      () => canonicalAddress("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"),
      "invalid_address",
    );
  });
});

describe("solana addresses", () => {
  it("accepts 32-byte base58 keys and refuses others", () => {
    expect(canonicalAddress("solana", "11111111111111111111111111111111")).toBe(
      "11111111111111111111111111111111",
    );
    expect(canonicalAddress("solana", "So11111111111111111111111111111111111111112")).toBeTruthy();
    refused(() => canonicalAddress("solana", "0OIl1111111111111111111111111111"), "invalid_address");
    refused(() => canonicalAddress("solana", "1111111111111111111111111111111"), "invalid_address");
  });
});

describe("amounts", () => {
  it.each([
    ["bitcoin", "00.50", "0.5"],
    ["bitcoin", "1.00000000", "1"],
    ["bitcoin", "21000000", "21000000"],
    ["ethereum", "0.000000000000000001", "0.000000000000000001"],
    ["solana", "12.000000001", "12.000000001"],
  ] as const)("%s %s is %s", (chain, amount, canonical) => {
    expect(canonicalAmount(chain, amount)).toBe(canonical);
  });

  it.each([
    ["bitcoin", "0"],
    ["bitcoin", "0.000000001"],
    ["bitcoin", "21000000.00000001"],
    ["ethereum", "1e18"],
    ["solana", "-1"],
    ["solana", "1."],
    ["solana", ".5"],
    ["solana", " 1"],
  ] as const)("refuses %s %s", (chain, amount) =>
    refused(() => canonicalAmount(chain, amount), "invalid_amount"),
  );
});

describe("the canonical transaction encoding", () => {
  const tx = {
    vaultId: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a",
    txId: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5b",
    chain: "bitcoin" as const,
    destination: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    amount: "0.015",
    memo: null,
  };

  it("is the domain tag followed by length-prefixed fields", () => {
    const m = transactionMessage(tx);
    const text = new TextDecoder().decode(m);
    expect(text.startsWith("vigil-custody-tx-v1")).toBe(true);
    expect([...m.slice(19, 23)]).toEqual([0, 0, 0, 36]);
    // An absent memo is an empty last field.
    expect([...m.slice(-4)]).toEqual([0, 0, 0, 0]);
  });

  it("never encodes two different transactions the same way", () => {
    const a = transactionMessage({ ...tx, destination: "ab", amount: "1" });
    const b = transactionMessage({ ...tx, destination: "a", amount: "b1" });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(
      Buffer.from(transactionMessage({ ...tx, memo: "" })).equals(Buffer.from(transactionMessage(tx))),
    ).toBe(true);
  });
});
