// Argon2id hash and verify, shared by the two places that compute it: the worker
// thread (argon2-worker.mjs) and the hashing child process (argon2-process.mjs).
// Plain JavaScript on purpose: a worker or child started from tsx, vitest or Deno
// needs no TypeScript loader this way. Messages: { op: "hash" | "verify" | "priority" | "backend", ... }.
//
// Two backends compute the same raw argon2id output: native `argon2` (about 4x less
// CPU per hash) when its addon loads, else hash-wasm. Both get Vigil's own salt and
// return raw bytes; this file writes and reads the PHC string itself, so a hash made
// by one backend verifies with the other.
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { getPriority } from "node:os";
import { argon2id } from "hash-wasm";

/**
 * The caller decided which backend to use (the main thread loaded the addon itself
 * first); should the addon fail to load here anyway, hash-wasm computes the same bytes.
 */
export function createArgon2(backend) {
  let native = null;
  if (backend === "native") {
    try {
      native = createRequire(import.meta.url)("argon2");
    } catch {
      native = null;
    }
  }

  function rawArgon2id(password, salt, p) {
    if (native) {
      return native
        .hash(password, {
          raw: true,
          type: native.argon2id,
          salt: Buffer.from(salt),
          memoryCost: p.memoryKiB,
          timeCost: p.iterations,
          parallelism: p.parallelism,
          hashLength: p.hashLength,
        })
        .then((buf) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    }
    return argon2id({
      password,
      salt,
      memorySize: p.memoryKiB,
      iterations: p.iterations,
      parallelism: p.parallelism,
      hashLength: p.hashLength,
      outputType: "binary",
    });
  }

  async function verify(phc, password) {
    // The caller validated the PHC (parsePhc: version, bounded parameters); this only reads it.
    const m = PHC.exec(phc);
    if (!m) return false;
    const expected = Buffer.from(m[5], "base64");
    const actual = await rawArgon2id(password, new Uint8Array(Buffer.from(m[4], "base64")), {
      memoryKiB: Number(m[1]),
      iterations: Number(m[2]),
      parallelism: Number(m[3]),
      hashLength: expected.length,
    });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  return async function run(msg) {
    if (msg.op === "hash") {
      const salt = crypto.getRandomValues(new Uint8Array(msg.saltLength));
      const p = {
        memoryKiB: msg.memoryKiB,
        iterations: msg.iterations,
        parallelism: msg.parallelism,
        hashLength: msg.hashLength,
      };
      const raw = await rawArgon2id(msg.password, salt, p);
      return `$argon2id$v=19$m=${p.memoryKiB},t=${p.iterations},p=${p.parallelism}$${b64(salt)}$${b64(raw)}`;
    }
    if (msg.op === "verify") {
      try {
        return await verify(msg.phc, msg.password);
      } catch {
        return false;
      }
    }
    if (msg.op === "priority") return getPriority(0);
    if (msg.op === "backend") return native ? "native" : "wasm";
    throw new Error(`unknown op ${String(msg.op)}`);
  };
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

// The format hash-wasm and the reference implementation write (unpadded base64).
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
