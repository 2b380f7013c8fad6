/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures, and the
 * transparency-log checkpoint carried in them (c2sp.org/tlog-checkpoint).
 *
 * Pure and dependency-light (only @noble/* and @scure/base) so the offline
 * verifier can import it without anything of Vigil's runtime.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { base64 } from "@scure/base";

export class NoteError extends Error {
  override readonly name = "NoteError";
}

/** Signature type byte of Ed25519 in signed notes. */
export const ED25519_TYPE = 0x01;
/** Verifiers must accept at least 16 signatures; more than this is refused as abuse. */
const MAX_SIGNATURES = 64;
const MAX_NOTE_BYTES = 64 * 1024;
const encoder = new TextEncoder();

export interface NoteSigner {
  readonly name: string;
  readonly secretKey: Uint8Array;
}

export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key id as an unsigned 32-bit integer. */
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** ASCII control characters (below U+0020), newline allowed or not. */
function hasControl(s: string, newlineAllowed: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && !(newlineAllowed && c === 0x0a)) return true;
  }
  return false;
}

function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || hasControl(name, false)) {
    throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  }
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  checkKeyName(name);
  const h = sha256.create();
  h.update(encoder.encode(name));
  h.update(Uint8Array.of(0x0a, ED25519_TYPE));
  h.update(publicKey);
  const d = h.digest();
  return new DataView(d.buffer, d.byteOffset, 4).getUint32(0, false);
}

function keyIdHex(id: number): string {
  return id.toString(16).padStart(8, "0");
}

/** `<name>+<hex key id>+base64(0x01 ‖ public key)`. */
export function ed25519VerifierKey(name: string, publicKey: Uint8Array): string {
  const id = ed25519KeyId(name, publicKey);
  const material = new Uint8Array(33);
  material[0] = ED25519_TYPE;
  material.set(publicKey, 1);
  return `${name}+${keyIdHex(id)}+${base64.encode(material)}`;
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** Parses a verifier key; only Ed25519 keys are accepted, and the id must match the key. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // The base64 part may itself contain "+": split at the first two only.
  const m = /^([^+]+)\+([^+]*)\+(.+)$/s.exec(vkey.trim());
  if (!m) throw new NoteError("verifier key must be name+keyid+key");
  const [, name, hex, b64] = m as unknown as [string, string, string, string];
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new NoteError("verifier key id must be 8 lowercase hex digits");
  let material: Uint8Array;
  try {
    material = base64.decode(b64);
  } catch {
    throw new NoteError("verifier key material is not base64");
  }
  if (material.length !== 33 || material[0] !== ED25519_TYPE) {
    throw new NoteError("verifier key is not an Ed25519 key");
  }
  const publicKey = material.slice(1);
  const keyId = Number.parseInt(hex, 16);
  if (ed25519KeyId(name, publicKey) !== keyId) throw new NoteError("verifier key id does not match the key");
  return { name, keyId, publicKey };
}

function checkText(text: string): void {
  if (!text.endsWith("\n")) throw new NoteError("note text must end with a newline");
  if (hasControl(text, true)) throw new NoteError("note text contains control characters");
}

/** Signs `text` (which must end in a newline) with each signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (signers.length === 0) throw new NoteError("a note needs at least one signature");
  const msg = encoder.encode(text);
  const lines = signers.map((s) => {
    const id = ed25519KeyId(s.name, ed25519.getPublicKey(s.secretKey));
    const sig = ed25519.sign(msg, s.secretKey);
    const blob = new Uint8Array(4 + sig.length);
    new DataView(blob.buffer).setUint32(0, id, false);
    blob.set(sig, 4);
    return `\u2014 ${s.name} ${base64.encode(blob)}\n`;
  });
  return `${text}\n${lines.join("")}`;
}

/** Splits a signed note into its text and signature lines; checks the format, not the signatures. */
export function parseNote(note: string): ParsedNote {
  if (encoder.encode(note).length > MAX_NOTE_BYTES) throw new NoteError("note too large");
  if (hasControl(note, true)) throw new NoteError("note contains control characters");
  if (!note.endsWith("\n")) throw new NoteError("note must end with a newline");
  // The text is separated from the signatures by the last empty line.
  const sep = note.lastIndexOf("\n\n");
  if (sep < 0) throw new NoteError("note has no signature block");
  const text = note.slice(0, sep + 1);
  const block = note.slice(sep + 2, -1).split("\n");
  if (block.length > MAX_SIGNATURES) throw new NoteError("too many signatures");
  const signatures = block.map((line): NoteSignature => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m) throw new NoteError("malformed signature line");
    const name = m[1]!;
    checkKeyName(name);
    let blob: Uint8Array;
    try {
      blob = base64.decode(m[2]!);
    } catch {
      throw new NoteError("signature is not base64");
    }
    if (blob.length < 5) throw new NoteError("signature too short");
    const keyId = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0, false);
    return { name, keyId, signature: blob.slice(4) };
  });
  return { text, signatures };
}

/**
 * Verifies a signed note against trusted keys. Unknown signatures are ignored
 * (that is how rotation and witness cosigning work); a known key whose
 * signature fails rejects the whole note; at least one known key must sign.
 */
export function verifyNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; verifiedBy: NoteVerifier[] } {
  const parsed = parseNote(note);
  const msg = encoder.encode(parsed.text);
  const verifiedBy: NoteVerifier[] = [];
  for (const sig of parsed.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!v) continue;
    let ok = false;
    try {
      ok = sig.signature.length === 64 && ed25519.verify(sig.signature, msg, v.publicKey);
    } catch {
      ok = false;
    }
    if (!ok) throw new NoteError(`signature by ${sig.name}+${keyIdHex(sig.keyId)} does not verify`);
    if (!verifiedBy.includes(v)) verifiedBy.push(v);
  }
  if (verifiedBy.length === 0) throw new NoteError("note is not signed by any trusted key");
  return { text: parsed.text, verifiedBy };
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque extension lines (not recommended; Vigil writes none). */
  readonly extensions?: readonly string[];
}

/** The checkpoint note text: origin, tree size, base64 root hash, each on its own line. */
export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes("\n")) throw new NoteError("invalid origin");
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new NoteError("invalid tree size");
  if (c.rootHash.length !== 32) throw new NoteError("root hash must be 32 bytes");
  const ext = (c.extensions ?? []).map((l) => {
    if (l.length === 0 || l.includes("\n")) throw new NoteError("invalid extension line");
    return `${l}\n`;
  });
  return `${c.origin}\n${c.size}\n${base64.encode(c.rootHash)}\n${ext.join("")}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw new NoteError("checkpoint must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new NoteError("checkpoint needs origin, size and root hash");
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new NoteError("checkpoint origin is empty");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeLine)) throw new NoteError("checkpoint tree size is not a decimal");
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new NoteError("checkpoint tree size too large");
  let rootHash: Uint8Array;
  try {
    rootHash = base64.decode(rootLine);
  } catch {
    throw new NoteError("checkpoint root hash is not base64");
  }
  if (rootHash.length !== 32) throw new NoteError("checkpoint root hash must be 32 bytes");
  if (extensions.some((l) => l.length === 0)) throw new NoteError("empty checkpoint extension line");
  return { origin, size, rootHash, extensions };
}

/** Verifies a signed checkpoint and returns its contents; the origin must be `origin` when given. */
export function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): Checkpoint & { verifiedBy: NoteVerifier[] } {
  const { text, verifiedBy } = verifyNote(note, verifiers);
  const cp = parseCheckpoint(text);
  if (origin !== undefined && cp.origin !== origin) {
    throw new NoteError(`checkpoint origin ${JSON.stringify(cp.origin)} is not ${JSON.stringify(origin)}`);
  }
  return { ...cp, verifiedBy };
}
