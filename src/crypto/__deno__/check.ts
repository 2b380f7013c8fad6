/**
 * Deno smoke check for the password worker pool (node:worker_threads + hash-wasm under Deno):
 *   npx deno run --allow-read --allow-env --allow-sys src/crypto/__deno__/check.ts
 * Exits non-zero on failure.
 */
import { createPasswordHasher } from "../password.ts";

const hasher = createPasswordHasher({ poolSize: 2 });
try {
  const started = performance.now();
  const [phc, other] = await Promise.all([hasher.hash("correct horse battery"), hasher.hash("another one")]);
  const ok = await hasher.verify(phc, "correct horse battery");
  const wrong = await hasher.verify(phc, "correct horse batterx");
  const malformed = await hasher.verify("$argon2id$garbage", "correct horse battery");
  const pass =
    phc.startsWith("$argon2id$v=19$m=19456,t=2,p=1$") && phc !== other && ok && !wrong && !malformed;
  const ms = Math.round(performance.now() - started);
  console.log(`${pass ? "ok" : "FAILED"}: argon2id pool under Deno (${ms} ms)`);
  if (!pass) throw new Error("deno password check failed");
} finally {
  await hasher.close();
}
