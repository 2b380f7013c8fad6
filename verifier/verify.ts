/**
 * The offline verifier: reads an export bundle (a tar stream) and proves, with
 * no database and no network, that its events are exactly what Vigil's log
 * holds at those ledger positions, unaltered, none removed or reordered.
 *
 * It reads the bundle once, streaming: the manifest comes first, then the
 * small files, then the events, whose leaves it keeps (32 bytes a position).
 * Imports only the pure primitives (Merkle tree, signed notes, the canonical
 * envelope), which import nothing but @noble/*, @scure/base and canonicalize.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { type Checkpoint, type NoteVerifier, parseNote, parseVerifierKey } from "../events/ledger/note.ts";
import { type Check, Findings } from "./checks.ts";
import { EventChecker } from "./events.ts";
import { FILES, type Manifest, parseManifest } from "./format.ts";
import { checkConsistency, checkMerkle, openSigned } from "./proofs.ts";
import { recordReader } from "./records.ts";

export interface VerifyOptions {
  /** Trusted checkpoint verifier keys (`name+id+key`); without any, the bundle's own are used. */
  keys?: readonly string[];
  /** An older signed checkpoint the auditor kept (e.g. from an earlier export). */
  previous?: string;
}

export type VerifyResult =
  | { ok: true; summary: string; events: number; checkpoint: number; latest: number }
  | { ok: false; check: Check; message: string };

/** Files other than the events and omitted leaves are small; more than this is refused. */
const MAX_SMALL_FILE = 64 * 1024 * 1024;

interface FileSeen {
  sha256: string;
  bytes: number;
}

export async function verifyBundle(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const findings = new Findings();
  const seen = new Map<string, FileSeen>();
  const texts = new Map<string, string>();
  let manifest: Manifest | null = null;
  let manifestText = "";
  let checker: EventChecker | null = null;

  const ex = extract();
  Readable.from(source).pipe(ex as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of ex) {
      const name = entry.header.name;
      const hasher = createHash("sha256");
      let bytes = 0;
      const chunks = async function* () {
        for await (const chunk of entry as AsyncIterable<Uint8Array>) {
          hasher.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      };
      if (entry.header.type !== "file" || seen.has(name)) {
        findings.fail("bundle", `${name} is ${seen.has(name) ? "in the bundle twice" : "not a plain file"}`);
        for await (const _ of chunks());
        continue;
      }
      if (!manifest && name !== FILES.manifest) {
        findings.fail("bundle", `${FILES.manifest} must be the first file, found ${name}`);
        break;
      }
      if (checker && (name === FILES.ndjson || name === FILES.csv || name === FILES.omitted)) {
        const omitted = name === FILES.omitted;
        const c = checker;
        const decoder = new TextDecoder("utf-8", { fatal: false });
        const reader = omitted
          ? c.omittedReader()
          : recordReader(name === FILES.csv ? "csv" : "ndjson", (p, n) => c.check(p, n));
        for await (const chunk of chunks()) {
          reader.push(decoder.decode(chunk, { stream: true }));
        }
        reader.push(decoder.decode());
        reader.end();
        if (!omitted) c.eventsFileSeen = true;
      } else {
        const parts: Uint8Array[] = [];
        for await (const chunk of chunks()) {
          if (bytes <= MAX_SMALL_FILE) parts.push(chunk);
        }
        if (bytes > MAX_SMALL_FILE) findings.fail("bundle", `${name} is larger than ${MAX_SMALL_FILE} bytes`);
        else texts.set(name, new TextDecoder().decode(concat(parts)));
      }
      seen.set(name, { sha256: hasher.digest("hex"), bytes });
      if (name === FILES.manifest) {
        try {
          manifestText = texts.get(name) ?? "";
          manifest = parseManifest(parseNote(manifestText).text);
          checker = new EventChecker(manifest, findings);
        } catch (err) {
          findings.fail("bundle", `${FILES.manifest}: ${(err as Error).message}`);
          break;
        }
      }
    }
  } catch (err) {
    findings.fail("bundle", `not a readable tar archive (${(err as Error).message})`);
  }
  ex.destroy();
  if (!manifest || !checker) {
    const f = findings.first() ?? { check: "bundle" as const, message: `${FILES.manifest} is missing` };
    return { ok: false, ...f };
  }
  return finish({ manifest, manifestText, checker, texts, seen, findings, opts });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Collected {
  manifest: Manifest;
  manifestText: string;
  checker: EventChecker;
  texts: Map<string, string>;
  seen: Map<string, FileSeen>;
  findings: Findings;
  opts: VerifyOptions;
}

function trustedKeys(c: Collected): { verifiers: NoteVerifier[]; pinned: boolean } {
  const pinned = (c.opts.keys ?? []).length > 0;
  const lines = pinned
    ? [...c.opts.keys!]
    : (c.texts.get(FILES.key) ?? "").split("\n").filter((l) => l.trim() !== "");
  const verifiers: NoteVerifier[] = [];
  for (const line of lines) {
    try {
      verifiers.push(parseVerifierKey(line));
    } catch (err) {
      c.findings.fail(
        pinned ? "manifest signature" : "bundle",
        `${pinned ? "--key" : FILES.key}: ${(err as Error).message}`,
      );
    }
  }
  if (verifiers.length === 0) c.findings.fail("bundle", `no checkpoint key: pass --key or keep ${FILES.key}`);
  return { verifiers, pinned };
}

function finish(c: Collected): VerifyResult {
  const { manifest, findings } = c;
  const eventsFile = manifest.format === "csv" ? FILES.csv : FILES.ndjson;
  for (const required of [eventsFile, FILES.proof, FILES.checkpoint, FILES.latest, FILES.consistency]) {
    if (!c.seen.has(required)) findings.fail("bundle", `${required} is missing`);
  }
  const { verifiers, pinned } = trustedKeys(c);

  const signer = openSigned(c.manifestText, verifiers, "manifest signature", FILES.manifest, findings);
  const checkpoint = openCheckpointFile(c, FILES.checkpoint, verifiers);
  const latest = openCheckpointFile(c, FILES.latest, verifiers);
  for (const cp of [checkpoint, latest]) {
    if (cp && cp.origin !== manifest.origin) {
      findings.fail("checkpoint", `its origin ${JSON.stringify(cp.origin)} is not the manifest's`);
    }
  }
  if (checkpoint && checkpoint.size !== manifest.checkpoint) {
    findings.fail(
      "checkpoint",
      `${FILES.checkpoint} is of size ${checkpoint.size}, the manifest says ${manifest.checkpoint}`,
    );
  }
  if (latest && latest.size !== manifest.latest) {
    findings.fail(
      "checkpoint",
      `${FILES.latest} is of size ${latest.size}, the manifest says ${manifest.latest}`,
    );
  }

  c.checker.finish();
  if (checkpoint) checkMerkle(c.checker, c.texts.get(FILES.proof), checkpoint, findings);
  if (checkpoint && latest) {
    checkConsistency(
      c.texts.get(FILES.consistency),
      checkpoint,
      latest,
      c.opts.previous,
      verifiers,
      findings,
    );
  }
  checkFiles(c);

  const failure = findings.first();
  if (failure) return { ok: false, ...failure };
  const prev = c.opts.previous ? ", and with the previous checkpoint given" : "";
  const key = `${signer}${pinned ? "" : " (key taken from the bundle: pin it with --key)"}`;
  return {
    ok: true,
    events: c.checker.count,
    checkpoint: checkpoint!.size,
    latest: latest!.size,
    summary:
      `OK: ${c.checker.count} events at ledger positions [${manifest.from}, ${manifest.to}) of ${manifest.origin}: ` +
      `hashes, stream chains and Merkle proofs hold against checkpoint ${checkpoint!.size}, ` +
      `consistent with checkpoint ${latest!.size}${prev}; ${c.seen.size} files signed by ${key}`,
  };
}

function openCheckpointFile(c: Collected, name: string, verifiers: NoteVerifier[]): Checkpoint | null {
  const text = c.texts.get(name);
  if (text === undefined) return null;
  return openSigned(text, verifiers, "checkpoint", name, c.findings, true) as Checkpoint | null;
}

/** Every file is in the manifest with its size and SHA-256, and every file the manifest lists is here. */
function checkFiles(c: Collected): void {
  const listed = new Map(c.manifest.files.map((f) => [f.name, f]));
  for (const [name, got] of c.seen) {
    if (name === FILES.manifest) continue;
    const want = listed.get(name);
    if (!want) c.findings.fail("manifest files", `${name} is in the bundle but not in the manifest`);
    else if (want.bytes !== got.bytes || want.sha256 !== got.sha256) {
      c.findings.fail(
        "manifest files",
        `${name} does not match the manifest (sha256 ${got.sha256}, ${got.bytes} bytes; manifest: ${want.sha256}, ${want.bytes} bytes)`,
      );
    }
  }
  for (const name of listed.keys()) {
    if (!c.seen.has(name))
      c.findings.fail("manifest files", `${name} is in the manifest but not in the bundle`);
  }
}
