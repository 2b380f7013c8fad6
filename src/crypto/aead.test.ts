import { describe, expect, it } from "vitest";
import { createKeyring, DecryptionError, keyringFromEnv } from "./aead.ts";
import { defaultGcmBackend, type GcmBackendName } from "./aes-gcm.ts";
import { base64Encode, base64UrlDecode, base64UrlEncode, randomBytes } from "./random.ts";

const key = () => randomBytes(32);

async function failure(p: Promise<unknown>): Promise<DecryptionError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error("expected a DecryptionError");
}

function flipLastByte(ciphertext: string): string {
  const parts = ciphertext.split(".");
  const body = base64UrlDecode(parts[3]!);
  body[body.length - 1]! ^= 1;
  parts[3] = base64UrlEncode(body);
  return parts.join(".");
}

describe("keyring (AES-256-GCM)", () => {
  it("round-trips text and bytes, with and without AAD, in the documented format", async () => {
    const ring = createKeyring([{ id: "k1", key: key() }], "k1");
    const sealed = await ring.encrypt("JBSWY3DPEHPK3PXP", "user:42:totp");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(await ring.decryptText(sealed, "user:42:totp")).toBe("JBSWY3DPEHPK3PXP");
    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect(await ring.decrypt(await ring.encrypt(bytes))).toEqual(bytes);
    expect(await ring.decryptText(await ring.encrypt(""))).toBe("");
  });

  it("uses a fresh IV each time", async () => {
    const ring = createKeyring([{ id: "k1", key: key() }], "k1");
    const a = await ring.encrypt("same");
    const b = await ring.encrypt("same");
    expect(a).not.toBe(b);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
  });

  it("refuses a tampered ciphertext, a wrong AAD, a missing AAD and a foreign key", async () => {
    const ring = createKeyring([{ id: "k1", key: key() }], "k1");
    const sealed = await ring.encrypt("secret", "ctx-a");
    expect((await failure(ring.decrypt(flipLastByte(sealed), "ctx-a"))).reason).toBe("authentication_failed");
    expect((await failure(ring.decrypt(sealed, "ctx-b"))).reason).toBe("authentication_failed");
    expect((await failure(ring.decrypt(sealed))).reason).toBe("authentication_failed");
    const other = createKeyring([{ id: "k1", key: key() }], "k1");
    expect((await failure(other.decrypt(sealed, "ctx-a"))).code).toBe("decryption_failed");
  });

  it("refuses an unknown key id and garbage", async () => {
    const ring = createKeyring([{ id: "k1", key: key() }], "k1");
    const foreign = createKeyring([{ id: "k9", key: key() }], "k9");
    expect((await failure(ring.decrypt(await foreign.encrypt("x")))).reason).toBe("unknown_key");
    for (const garbage of [
      "",
      "v1",
      "v1.k1..",
      "v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
      "v1.k1.!!!.???",
    ]) {
      expect((await failure(ring.decrypt(garbage))).reason).toBe("malformed");
    }
    expect(() => ring.keyIdOf("nope")).toThrow(DecryptionError);
  });

  it("binds the key id: relabelling a ciphertext with another id in the ring fails", async () => {
    const shared = key();
    const ring = createKeyring(
      [
        { id: "a", key: shared },
        { id: "b", key: shared },
      ],
      "a",
    );
    const sealed = await ring.encrypt("x");
    await failure(ring.decrypt(sealed.replace("v1.a.", "v1.b.")));
  });

  it("rotates: new ciphertexts use the new id, old ones still decrypt", async () => {
    const k1 = key();
    const k2 = key();
    const before = createKeyring([{ id: "k1", key: k1 }], "k1");
    const old = await before.encrypt("old secret");
    const after = createKeyring(
      [
        { id: "k2", key: k2 },
        { id: "k1", key: k1 },
      ],
      "k2",
    );
    const fresh = await after.encrypt("new secret");
    expect(after.currentKeyId).toBe("k2");
    expect(after.keyIdOf(fresh)).toBe("k2");
    expect(after.keyIdOf(old)).toBe("k1");
    expect(after.needsReencrypt(old)).toBe(true);
    expect(after.needsReencrypt(fresh)).toBe(false);
    expect(await after.decryptText(old)).toBe("old secret");
    expect(await after.decryptText(fresh)).toBe("new secret");
  });

  it("validates keys when the ring is built", () => {
    expect(() => createKeyring([], "k1")).toThrow();
    expect(() => createKeyring([{ id: "k1", key: randomBytes(16) }], "k1")).toThrow(/32 bytes/);
    expect(() => createKeyring([{ id: "k.1", key: key() }], "k.1")).toThrow(/invalid key id/);
    expect(() => createKeyring([{ id: "k1", key: key() }], "k2")).toThrow(/not in the ring/);
    const k = key();
    expect(() =>
      createKeyring(
        [
          { id: "k1", key: k },
          { id: "k1", key: k },
        ],
        "k1",
      ),
    ).toThrow(/duplicate/);
  });
});

describe("AES-GCM backends (node:crypto and WebCrypto)", () => {
  const BACKENDS: GcmBackendName[] = ["node", "webcrypto"];
  // Sealed by the keyring before it had backends (WebCrypto only): what is stored must still open.
  const FIXED_KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const STORED = {
    aad: "user-0190c9a2-7c3e-7000-8000-000000000001",
    text: "203.0.113.9 · Mozilla/5.0 ünïcode",
    sealed: "v1.k1.qEwxGZN-l9epDDDS.HieMF9VZezC-Ign7Wq8rsRv8oQfTYf4efq2uj4uJkzoigwf6_nudB99qE7IP6pRUsa0hhw",
    empty: "v1.k1.RPdns4wviR6sGZ8G.Bs5Mhh1sbTzb0BdPM0ptmQ",
  };

  it("uses node:crypto where it has AES-256-GCM (Node)", () => {
    expect(defaultGcmBackend()).toBe("node");
  });

  it.each(BACKENDS)("%s opens ciphertexts stored before backends existed", async (backend) => {
    const ring = createKeyring([{ id: "k1", key: FIXED_KEY }], "k1", { backend });
    expect(await ring.decryptText(STORED.sealed, STORED.aad)).toBe(STORED.text);
    expect(await ring.decrypt(STORED.empty)).toEqual(new Uint8Array(0));
    expect((await failure(ring.decrypt(STORED.sealed, "user-other"))).reason).toBe("authentication_failed");
  });

  it.each([
    ["node", "webcrypto"],
    ["webcrypto", "node"],
  ] as const)("what %s seals, %s opens; tampering fails in both", async (from, to) => {
    const k = key();
    const sealer = createKeyring([{ id: "k1", key: k }], "k1", { backend: from });
    const opener = createKeyring([{ id: "k1", key: k }], "k1", { backend: to });
    for (const text of ["", "x", "a".repeat(1000), "ünïcode ✓"]) {
      const sealed = await sealer.encrypt(text, "aad");
      expect(await opener.decryptText(sealed, "aad")).toBe(text);
      expect((await failure(opener.decrypt(flipLastByte(sealed), "aad"))).reason).toBe(
        "authentication_failed",
      );
      expect((await failure(opener.decrypt(sealed, "other"))).reason).toBe("authentication_failed");
    }
  });
});

describe("keyringFromEnv", () => {
  it("takes one base64 key as k1", async () => {
    const k = key();
    const ring = keyringFromEnv(base64Encode(k));
    expect(ring.currentKeyId).toBe("k1");
    const same = createKeyring([{ id: "k1", key: k }], "k1");
    expect(await same.decryptText(await ring.encrypt("hi"))).toBe("hi");
  });

  it("takes an id:base64 list whose first entry is current", async () => {
    const k1 = key();
    const k2 = key();
    const old = await createKeyring([{ id: "k1", key: k1 }], "k1").encrypt("legacy");
    const ring = keyringFromEnv(` k2:${base64UrlEncode(k2)} , k1:${base64Encode(k1)}`);
    expect(ring.currentKeyId).toBe("k2");
    expect(ring.keyIds).toEqual(["k2", "k1"]);
    expect(await ring.decryptText(old)).toBe("legacy");
  });

  it("refuses bad values without echoing key material", () => {
    const short = base64Encode(randomBytes(16));
    expect(() => keyringFromEnv("")).toThrow(/empty/);
    expect(() => keyringFromEnv(short)).toThrow(/32 bytes/);
    let message = "";
    try {
      keyringFromEnv(`k1:${short}`);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/32 bytes/);
    expect(message).not.toContain(short);
    expect(() => keyringFromEnv("k1:not base64!")).toThrow(/base64/);
    expect(() => keyringFromEnv(`:${base64Encode(key())}`)).toThrow(/id:base64key/);
  });
});
