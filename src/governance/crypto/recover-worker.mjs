// Signature checks in a worker thread, so a vote's elliptic-curve work runs on
// another core while the event loop serves requests. Plain JavaScript on
// purpose: a worker started from tsx, vitest or Deno needs no TypeScript
// loader this way. It does only the curve arithmetic; parsing and the EIP-2
// low-s rule stay in ethereum.ts, and the address is derived by the caller.
// Messages: { id, op: "secp256k1.recover", hash, compact, recovery } → the
// uncompressed public key (65 bytes) or null; { id, op: "ed25519.verify",
// signature, message, publicKey } → boolean (strict RFC 8032, no ZIP-215).
import { parentPort } from "node:worker_threads";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";

if (!parentPort) throw new Error("recover-worker must run as a worker thread");
const port = parentPort;

function run(msg) {
  if (msg.op === "secp256k1.recover") {
    try {
      return secp256k1.Signature.fromBytes(msg.compact, "compact")
        .addRecoveryBit(msg.recovery)
        .recoverPublicKey(msg.hash)
        .toBytes(false);
    } catch {
      return null;
    }
  }
  if (msg.op === "ed25519.verify") {
    try {
      return ed25519.verify(msg.signature, msg.message, msg.publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
  throw new Error(`unknown op ${String(msg.op)}`);
}

port.on("message", (msg) => {
  try {
    port.postMessage({ id: msg.id, ok: true, result: run(msg) });
  } catch (error) {
    port.postMessage({ id: msg.id, ok: false, error: String(error?.message ?? error) });
  }
});
