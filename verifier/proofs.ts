/**
 * The verifier's cryptographic checks beyond single events: signed notes (the
 * manifest and the checkpoints), the Merkle proofs that tie the range to the
 * signed checkpoint root, and the consistency proofs between checkpoints.
 */

import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { base64 } from "@scure/base";
import {
  equalHashes,
  rangeNodes,
  rootOfLeaves,
  verifyConsistency,
  verifyInclusion,
} from "../events/ledger/merkle.ts";
import { type Checkpoint, type NoteVerifier, openCheckpoint, verifyNote } from "../events/ledger/note.ts";
import type { Check, Findings } from "./checks.ts";
import type { EventChecker } from "./events.ts";
import { type ConsistencyFile, FILES, type ProofFile } from "./format.ts";

const keyName = (v: NoteVerifier) => `${v.name}+${v.keyId.toString(16).padStart(8, "0")}`;

/**
 * Verifies a signed note with the trusted keys; a checkpoint is also parsed.
 * Returns the signer's name (or the checkpoint), or null after recording why not.
 */
export function openSigned(
  note: string,
  verifiers: readonly NoteVerifier[],
  check: Check,
  what: string,
  findings: Findings,
  asCheckpoint = false,
): string | Checkpoint | null {
  try {
    if (asCheckpoint) return openCheckpoint(note, verifiers);
    return keyName(verifyNote(note, verifiers).verifiedBy[0]!);
  } catch (err) {
    findings.fail(check, `${what}: ${(err as Error).message}`);
    return null;
  }
}

function parseJson<T>(text: string | undefined, name: string, findings: Findings): T | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    findings.fail("bundle", `${name} is not valid JSON`);
    return null;
  }
}

const hashes = (list: unknown): Uint8Array[] | null => {
  if (!Array.isArray(list) || !list.every((h) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h))) {
    return null;
  }
  return list.map((h: string) => hexToBytes(h));
};

/** Range mode: the complete subtrees of [from, to), hashed from the leaves, lead to the checkpoint root. */
function checkRange(
  c: EventChecker,
  proof: ProofFile & { mode: "range" },
  cp: Checkpoint,
  f: Findings,
): void {
  const { from, to } = c.manifest;
  const expected = rangeNodes({ start: from, end: to });
  const given = Array.isArray(proof.subtrees) ? proof.subtrees : [];
  if (
    given.length !== expected.length ||
    given.some((s, i) => s?.level !== expected[i]!.level || s?.index !== expected[i]!.index)
  ) {
    f.fail("merkle", `${FILES.proof} does not list the complete subtrees of [${from}, ${to})`);
    return;
  }
  for (const s of given) {
    const start = s.index * 2 ** s.level;
    const end = start + 2 ** s.level;
    const leaves: Uint8Array[] = [];
    for (let p = start; p < end; p++) {
      const leaf = c.leafAt(p);
      if (!leaf) return; // already reported as missing coverage
      leaves.push(leaf);
    }
    const computed = rootOfLeaves(leaves);
    const where = `subtree [${start}, ${end})`;
    if (s.hash !== bytesToHex(computed)) {
      f.fail("merkle", `${where}: its events hash to ${bytesToHex(computed)}, ${FILES.proof} says ${s.hash}`);
      return;
    }
    const path = hashes(s.path);
    const levelSize = Math.floor((cp.size - 1) / 2 ** s.level) + 1;
    if (!path || !verifyInclusion(computed, s.index, levelSize, path, cp.rootHash)) {
      f.fail("merkle", `${where} does not lead to the root of checkpoint ${cp.size}`);
      return;
    }
  }
}

/** Inclusion mode: one audit path per exported event. */
function checkInclusions(
  c: EventChecker,
  proof: ProofFile & { mode: "inclusion" },
  cp: Checkpoint,
  f: Findings,
): void {
  const byPosition = new Map<number, unknown>();
  for (const p of Array.isArray(proof.proofs) ? proof.proofs : []) byPosition.set(p?.position, p?.path);
  for (const position of c.positions) {
    const path = hashes(byPosition.get(position));
    const leaf = c.leafAt(position);
    if (!path || !leaf || !verifyInclusion(leaf, position, cp.size, path, cp.rootHash)) {
      f.fail("merkle", `event at position ${position} is not included in checkpoint ${cp.size}`);
      return;
    }
  }
}

export function checkMerkle(c: EventChecker, text: string | undefined, cp: Checkpoint, f: Findings): void {
  const proof = parseJson<ProofFile>(text, FILES.proof, f);
  if (!proof) return;
  const m = c.manifest;
  if (proof.mode !== m.proof || proof.treeSize !== cp.size) {
    f.fail("merkle", `${FILES.proof} is not a ${m.proof} proof for checkpoint ${cp.size}`);
    return;
  }
  if (m.to > cp.size) {
    f.fail("merkle", `the range ends at ${m.to}, beyond checkpoint ${cp.size}`);
    return;
  }
  if (proof.mode === "range") checkRange(c, proof, cp, f);
  else checkInclusions(c, proof, cp, f);
}

/** A consistency proof between two checkpoints, from the file's list; false with a reason when it fails. */
function consistent(file: ConsistencyFile | null, older: Checkpoint, newer: Checkpoint): string | null {
  if (older.size === newer.size) {
    return equalHashes(older.rootHash, newer.rootHash)
      ? null
      : `checkpoints of the same size ${older.size} have different roots`;
  }
  if (older.size > newer.size) return `checkpoint ${older.size} is newer than checkpoint ${newer.size}`;
  const entry = (Array.isArray(file?.proofs) ? file.proofs : []).find(
    (p) => p?.from === older.size && p?.to === newer.size,
  );
  if (!entry) return `no consistency proof from ${older.size} to ${newer.size} in ${FILES.consistency}`;
  const path = hashes(entry.hashes);
  if (!path || !verifyConsistency(older.size, newer.size, path, older.rootHash, newer.rootHash)) {
    return `checkpoint ${older.size} (root ${base64.encode(older.rootHash)}) is not a prefix of checkpoint ${newer.size}`;
  }
  return null;
}

export function checkConsistency(
  text: string | undefined,
  checkpoint: Checkpoint,
  latest: Checkpoint,
  previous: string | undefined,
  verifiers: readonly NoteVerifier[],
  f: Findings,
): void {
  const file = parseJson<ConsistencyFile>(text, FILES.consistency, f);
  const why = consistent(file, checkpoint, latest);
  if (why) f.fail("consistency", why);
  if (previous === undefined) return;
  const prev = openSigned(
    previous,
    verifiers,
    "previous",
    "the previous checkpoint",
    f,
    true,
  ) as Checkpoint | null;
  if (!prev) return;
  if (prev.origin !== latest.origin) {
    f.fail("previous", `the previous checkpoint is of log ${JSON.stringify(prev.origin)}, not this one`);
    return;
  }
  const against = prev.size === checkpoint.size ? checkpoint : latest;
  const whyPrev = consistent(file, prev, against);
  if (whyPrev) {
    const hint = whyPrev.startsWith("no consistency proof")
      ? ` (export again with previous: ${prev.size})`
      : "";
    f.fail("previous", `${whyPrev}${hint}`);
  }
}
