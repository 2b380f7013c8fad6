/**
 * Deno smoke check for src/crypto: the argon2id worker pool (node:worker_threads +
 * native argon2 or hash-wasm under Deno), AES-GCM keyring, Ed25519 access tokens and device tokens.
 *   npx deno run --allow-read --allow-env --allow-sys --allow-ffi src/crypto/__deno__/check.ts
 * Without --allow-ffi the native addon does not load and the pool falls back to hash-wasm.
 * Prints one line per check and exits non-zero on any failure.
 */
import { createKeyring } from "../aead.ts";
import { defaultGcmBackend } from "../aes-gcm.ts";
import { createDeviceTokens } from "../device-token.ts";
import { createTokenIssuer, JwtKeys, memoryKeyStoreBackend } from "../jwt.ts";
import { createPasswordHasher } from "../password.ts";
import { randomBytes } from "../random.ts";

let failed = false;
function report(name: string, pass: boolean, detail = ""): void {
  console.log(`${pass ? "ok" : "FAILED"}: ${name}${detail ? ` (${detail})` : ""}`);
  if (!pass) failed = true;
}

const hasher = createPasswordHasher({ poolSize: 2 });
try {
  const started = performance.now();
  const [phc, other] = await Promise.all([hasher.hash("correct horse battery"), hasher.hash("another one")]);
  const ok = await hasher.verify(phc, "correct horse battery");
  const wrong = await hasher.verify(phc, "correct horse batterx");
  const malformed = await hasher.verify("$argon2id$garbage", "correct horse battery");
  const pass =
    phc.startsWith("$argon2id$v=19$m=19456,t=2,p=1$") && phc !== other && ok && !wrong && !malformed;
  report("argon2id worker pool", pass, `${hasher.backend}, ${Math.round(performance.now() - started)} ms`);
  // A hash from this backend verifies with hash-wasm, and one from hash-wasm verifies here.
  const wasm = createPasswordHasher({ poolSize: 1, backend: "wasm" });
  try {
    const fromWasm = await wasm.hash("correct horse battery");
    const cross =
      (await wasm.verify(phc, "correct horse battery")) &&
      (await hasher.verify(fromWasm, "correct horse battery"));
    report(`argon2id ${hasher.backend} and wasm verify each other's hashes`, cross);
  } finally {
    await wasm.close();
  }
} finally {
  await hasher.close();
}

const clock = () => new Date();
const keyring = createKeyring([{ id: "k1", key: randomBytes(32) }], "k1");
const sealed = await keyring.encrypt("secret", "aad");
report(
  "aes-256-gcm keyring",
  (await keyring.decryptText(sealed, "aad")) === "secret",
  `${defaultGcmBackend()} backend`,
);
// node:crypto and WebCrypto read each other's ciphertexts here too.
const shared = randomBytes(32);
const viaNode = createKeyring([{ id: "k1", key: shared }], "k1", { backend: "node" });
const viaWeb = createKeyring([{ id: "k1", key: shared }], "k1", { backend: "webcrypto" });
report(
  "aes-256-gcm node:crypto and WebCrypto agree",
  (await viaWeb.decryptText(await viaNode.encrypt("n→w", "a"), "a")) === "n→w" &&
    (await viaNode.decryptText(await viaWeb.encrypt("w→n", "a"), "a")) === "w→n",
);

const keys = await JwtKeys.open({ backend: memoryKeyStoreBackend(), keyring, clock, accessTtlSeconds: 900 });
const issuer = createTokenIssuer({ keys, issuer: "vigil", audience: "vigil", clock });
const { token } = await issuer.signAccess({ sub: "u1", sid: "s1", roles: ["user"] });
report("ed25519 access token", (await issuer.verifyAccess(token)).sub === "u1");

const devices = createDeviceTokens({ key: randomBytes(32), clock });
const device = await devices.issue("u1");
report("device token", (await devices.verify(device, "u1")) && !(await devices.verify(device, "u2")));

if (failed) throw new Error("deno crypto check failed");
