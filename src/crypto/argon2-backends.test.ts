import { createRequire } from "node:module";
import { argon2id } from "hash-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { createPasswordHasher, nativeArgon2Available, resolveHashBackend } from "./password.ts";

// Cheap parameters: these cases check bytes and formats, not cost.
const FAST = { memoryKiB: 1024, iterations: 2, parallelism: 1 };
const SALT = new Uint8Array([...Array(16).keys()].map((i) => i * 7 + 3));
const PASSWORD = "pässwörd ✓ correct horse";

const native = createRequire(import.meta.url)("argon2") as typeof import("argon2");

describe("argon2id backends (native argon2 and hash-wasm)", () => {
  const wasm = createPasswordHasher({ ...FAST, poolSize: 1, backend: "wasm" });
  const nat = createPasswordHasher({ ...FAST, poolSize: 1, backend: "native" });
  afterAll(() => Promise.all([wasm.close(), nat.close()]));

  it("runs native where the addon loads (Node) and wasm when asked to", async () => {
    expect(nativeArgon2Available()).toBe(true);
    expect(resolveHashBackend("auto")).toBe("native");
    expect(resolveHashBackend("wasm")).toBe("wasm");
    expect(nat.backend).toBe("native");
    expect(wasm.backend).toBe("wasm");
    const auto = createPasswordHasher({ poolSize: 1 });
    expect(auto.backend).toBe("native");
    await auto.close();
  });

  it("both libraries compute the same raw argon2id bytes for a fixed salt", async () => {
    const p = { memoryCost: FAST.memoryKiB, timeCost: FAST.iterations, parallelism: 1, hashLength: 32 };
    const fromNative = await native.hash(PASSWORD, {
      ...p,
      raw: true,
      type: native.argon2id,
      salt: Buffer.from(SALT),
    });
    const fromWasm = await argon2id({
      password: PASSWORD,
      salt: SALT,
      memorySize: p.memoryCost,
      iterations: p.timeCost,
      parallelism: 1,
      hashLength: 32,
      outputType: "binary",
    });
    expect(Buffer.from(fromWasm).equals(fromNative)).toBe(true);
  });

  it("verifies PHC strings hash-wasm wrote (every existing hash) with either backend", async () => {
    const byWasm = await argon2id({
      password: PASSWORD,
      salt: SALT,
      memorySize: 19456,
      iterations: 2,
      parallelism: 1,
      hashLength: 32,
      outputType: "encoded",
    });
    const byNative = await native.hash(PASSWORD, {
      type: native.argon2id,
      salt: Buffer.from(SALT),
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
      hashLength: 32,
    });
    // node-argon2's own encoder orders the parameters m,p,t (Vigil's parser wants m,t,p):
    // that is why the pool takes raw bytes from it and writes the PHC string itself.
    // The salt and hash segments are the same bytes.
    expect(byNative.split("$").slice(4)).toEqual(byWasm.split("$").slice(4));
    for (const h of [wasm, nat]) {
      expect(await h.verify(byWasm, PASSWORD)).toBe(true);
      expect(await h.verify(byWasm, `${PASSWORD}!`)).toBe(false);
    }
  });

  it("a hash made by one backend verifies with the other, and a wrong password or altered hash does not", async () => {
    const fromNative = await nat.hash(PASSWORD);
    const fromWasm = await wasm.hash(PASSWORD);
    expect(fromNative).toMatch(/^\$argon2id\$v=19\$m=1024,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(fromWasm).toMatch(/^\$argon2id\$v=19\$m=1024,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await wasm.verify(fromNative, PASSWORD)).toBe(true);
    expect(await nat.verify(fromWasm, PASSWORD)).toBe(true);
    expect(await nat.verify(fromNative, "wrong")).toBe(false);
    expect(await wasm.verify(fromWasm, "wrong")).toBe(false);
    const last = fromNative.at(-2) === "A" ? "B" : "A";
    const altered = `${fromNative.slice(0, -2)}${last}${fromNative.at(-1)}`;
    expect(await nat.verify(altered, PASSWORD)).toBe(false);
    expect(await wasm.verify(altered, PASSWORD)).toBe(false);
  });
});
