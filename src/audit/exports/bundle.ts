/**
 * Writes an export bundle (verifier/format.ts) to a file, streaming: events
 * are read from the ledger a batch at a time and written to a work file as
 * they come, then every file is packed into a tar next to it. Nothing holds
 * the whole export in memory; the work directory is removed afterwards.
 *
 * Proofs: for [from, to) the bundle carries either the range's complete
 * subtrees with their paths to the checkpoint root (plus the leaves of the
 * positions a filtered export leaves out), or one inclusion proof per event,
 * whichever needs fewer hashes.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bytesToHex } from "@noble/hashes/utils.js";
import { pack } from "tar-stream";
import {
  consistencyRanges,
  inclusionRanges,
  type LeafRange,
  rangeNodes,
} from "../../../events/ledger/merkle.ts";
import {
  type ConsistencyFile,
  CSV_HEADER,
  type ExportedEvent,
  type ExportFormat,
  FILES,
  formatManifest,
  type Manifest,
  type ManifestFile,
  type ProofFile,
} from "../../../verifier/format.ts";
import { csvEventRow, ndjsonEventLine } from "./lines.ts";

export interface SignedCheckpoint {
  /** The C2SP signed note, as stored. */
  readonly note: string;
  readonly size: number;
}

/** What an export needs from the ledger (src/audit/exports/ledger-view.ts on the database). */
export interface LedgerView {
  readonly origin: string;
  /** Events at positions [from, to), ascending, as stored (not upcast), a batch at a time. */
  events(from: number, to: number): AsyncIterable<readonly ExportedEvent[]>;
  latestCheckpoint(): Promise<SignedCheckpoint | null>;
  /** The smallest stored checkpoint of at least `size` leaves. */
  checkpointCovering(size: number): Promise<SignedCheckpoint | null>;
  /** The RFC 6962 hash of each range of leaves, from the stored subtrees. */
  rangeHashes(ranges: readonly LeafRange[]): Promise<Uint8Array[]>;
  /** Signs a note text with the current checkpoint key (a C2SP signed note). */
  signNote(text: string): Promise<string>;
  /** Verifier keys of the checkpoint keys, current first. */
  verifierKeys(): Promise<string[]>;
}

export interface ExportSpec {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly types: readonly string[];
  readonly streams: readonly string[];
  readonly format: ExportFormat;
  /** A tree size the requester already holds a checkpoint of: a consistency proof from it is added. */
  readonly previous?: number | null;
  /** Entry times in the tar. */
  readonly createdAt: Date;
}

export interface BundleResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly events: number;
  readonly checkpoint: number;
  readonly latest: number;
  readonly proof: ProofFile["mode"];
}

export class ExportError extends Error {
  override readonly name = "ExportError";
}

/** A file being written in the work directory, hashed as it goes. */
class HashedFile {
  readonly hasher = createHash("sha256");
  bytes = 0;
  #buf: string[] = [];
  #buffered = 0;
  readonly #out: WriteStream;
  constructor(readonly path: string) {
    this.#out = createWriteStream(path);
  }
  async write(text: string): Promise<void> {
    this.#buf.push(text);
    this.#buffered += text.length;
    if (this.#buffered >= 256 * 1024) await this.#flush();
  }
  async #flush(): Promise<void> {
    if (this.#buf.length === 0) return;
    const bytes = new TextEncoder().encode(this.#buf.join(""));
    this.#buf = [];
    this.#buffered = 0;
    this.hasher.update(bytes);
    this.bytes += bytes.length;
    if (!this.#out.write(bytes)) await once(this.#out, "drain");
  }
  async close(): Promise<ManifestFile> {
    await this.#flush();
    this.#out.end();
    await once(this.#out, "finish");
    return { name: this.path.split("/").pop()!, sha256: this.hasher.digest("hex"), bytes: this.bytes };
  }
}

const hex = (hs: readonly Uint8Array[]) => hs.map(bytesToHex);

/** How many hashes each kind of proof needs; the smaller wins. */
function proofCosts(from: number, to: number, size: number, positions: readonly number[], omitted: number) {
  let range = omitted;
  for (const n of rangeNodes({ start: from, end: to })) {
    range += inclusionRanges(n.index * 2 ** n.level, size).length - n.level;
  }
  // Counted only until it is no longer the cheaper one.
  let inclusion = 0;
  for (const p of positions) {
    inclusion += inclusionRanges(p, size).length;
    if (inclusion >= range) break;
  }
  return { range, inclusion };
}

async function rangeProof(view: LedgerView, from: number, to: number, size: number): Promise<ProofFile> {
  const nodes = rangeNodes({ start: from, end: to });
  const subtrees = [];
  for (const n of nodes) {
    const start = n.index * 2 ** n.level;
    const pathRanges = inclusionRanges(start, size).slice(n.level);
    const [hash, ...path] = await view.rangeHashes([{ start, end: start + 2 ** n.level }, ...pathRanges]);
    subtrees.push({ level: n.level, index: n.index, hash: bytesToHex(hash!), path: hex(path) });
  }
  return { mode: "range", treeSize: size, subtrees };
}

async function inclusionProofs(
  view: LedgerView,
  positions: readonly number[],
  size: number,
): Promise<ProofFile> {
  const proofs = [];
  for (const position of positions) {
    proofs.push({ position, path: hex(await view.rangeHashes(inclusionRanges(position, size))) });
  }
  return { mode: "inclusion", treeSize: size, proofs };
}

export async function writeBundle(
  view: LedgerView,
  spec: ExportSpec,
  dest: string,
  onProgress: (done: number, total: number) => Promise<void> | void = () => {},
): Promise<BundleResult> {
  const { from, to } = spec;
  const latest = await view.latestCheckpoint();
  if (!latest || latest.size < to) {
    throw new ExportError(`positions up to ${to} are not covered by a signed checkpoint yet`);
  }
  const checkpoint = (await view.checkpointCovering(to)) ?? latest;
  const work = `${dest}.work`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const eventsName = spec.format === "csv" ? FILES.csv : FILES.ndjson;
    const events = new HashedFile(join(work, eventsName));
    const omitted = new HashedFile(join(work, FILES.omitted));
    if (spec.format === "csv") await events.write(CSV_HEADER);
    const types = new Set(spec.types);
    const streams = new Set(spec.streams);
    const positions: number[] = [];
    let omittedCount = 0;
    for await (const batch of view.events(from, to)) {
      for (const e of batch) {
        if ((types.size && !types.has(e.type)) || (streams.size && !streams.has(e.stream_id))) {
          omittedCount++;
          await omitted.write(`${JSON.stringify({ position: e.position, hash: e.hash })}\n`);
          continue;
        }
        positions.push(e.position);
        await events.write(spec.format === "csv" ? csvEventRow(e) : ndjsonEventLine(e));
      }
      const last = batch.at(-1);
      if (last) await onProgress(last.position + 1 - from, to - from);
    }
    const files: ManifestFile[] = [await events.close(), await omitted.close()];

    const cost = proofCosts(from, to, checkpoint.size, positions, omittedCount);
    const proof =
      cost.inclusion < cost.range
        ? await inclusionProofs(view, positions, checkpoint.size)
        : await rangeProof(view, from, to, checkpoint.size);
    const small: [string, string][] = [
      [FILES.proof, JSON.stringify(proof)],
      [FILES.checkpoint, checkpoint.note],
      [FILES.latest, latest.note],
      [
        FILES.consistency,
        JSON.stringify(await consistency(view, checkpoint.size, latest.size, spec.previous)),
      ],
      [FILES.key, `${(await view.verifierKeys()).join("\n")}\n`],
    ];
    for (const [name, text] of small) {
      const bytes = new TextEncoder().encode(text);
      await writeFile(join(work, name), bytes);
      files.push({ name, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length });
    }
    // Range proofs of an unfiltered export have nothing omitted; inclusion proofs never need the leaves.
    const listed = files.filter(
      (f) => f.name !== FILES.omitted || (proof.mode === "range" && omittedCount > 0),
    );
    const manifest: Manifest = {
      origin: view.origin,
      id: spec.id,
      format: spec.format,
      from,
      to,
      types: [...spec.types],
      streams: [...spec.streams],
      events: positions.length,
      checkpoint: checkpoint.size,
      latest: latest.size,
      proof: proof.mode,
      files: listed,
    };
    await writeFile(join(work, FILES.manifest), await view.signNote(formatManifest(manifest)));
    const order = [FILES.manifest, FILES.key, FILES.checkpoint, FILES.latest, FILES.consistency, FILES.proof];
    const names = [...order, ...listed.map((f) => f.name).filter((n) => !(order as string[]).includes(n))];
    const packed = await packFiles(work, names, dest, spec.createdAt);
    return {
      path: dest,
      ...packed,
      events: positions.length,
      checkpoint: checkpoint.size,
      latest: latest.size,
      proof: proof.mode,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function consistency(
  view: LedgerView,
  size: number,
  latest: number,
  previous: number | null | undefined,
): Promise<ConsistencyFile> {
  const from = [size];
  if (previous !== null && previous !== undefined && previous !== size && previous < latest)
    from.push(previous);
  const proofs = [];
  for (const f of from) {
    proofs.push({ from: f, to: latest, hashes: hex(await view.rangeHashes(consistencyRanges(f, latest))) });
  }
  return { proofs };
}

/** Packs the work files, in order, into `dest` (via a temporary name, so a half-written bundle never shows). */
async function packFiles(
  dir: string,
  names: readonly string[],
  dest: string,
  mtime: Date,
): Promise<{ bytes: number; sha256: string }> {
  const tar = pack();
  const part = `${dest}.part`;
  const out = createWriteStream(part);
  const hasher = createHash("sha256");
  let bytes = 0;
  tar.on("data", (chunk: unknown) => {
    hasher.update(chunk as Uint8Array);
    bytes += (chunk as Uint8Array).length;
  });
  tar.pipe(out);
  for (const name of names) {
    const size = (await stat(join(dir, name))).size;
    const entry = tar.entry({ name, size, mtime, mode: 0o644 });
    const input = createReadStream(join(dir, name));
    input.pipe(entry);
    await once(entry, "finish");
  }
  tar.finalize();
  await once(out, "finish");
  await rename(part, dest);
  return { bytes, sha256: hasher.digest("hex") };
}
