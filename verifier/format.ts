/**
 * The compliance export bundle, version 1: its file names, the event record,
 * the manifest, and the NDJSON and CSV encodings. Shared by the writer (the
 * export job) and the offline verifier, so the two cannot drift apart.
 *
 * Pure: imports nothing of Vigil's runtime (the verifier runs without it).
 *
 * A bundle is a tar of, in this order:
 *   events.ndjson | events.csv   the events of [from, to), in ledger order
 *   omitted.ndjson               range proofs of a filtered export: the leaf of every position left out
 *   proof.json                   subtree hashes of [from, to) and their paths, or one inclusion proof per event
 *   checkpoint.txt               the signed checkpoint the proofs lead to (C2SP signed note)
 *   latest-checkpoint.txt        the newest signed checkpoint when the export ran
 *   consistency.json             consistency proofs to the newest checkpoint
 *   checkpoint-key.txt           the checkpoint verifier key(s), for convenience (pin yours with --key)
 *   manifest.txt                 the SHA-256 and size of every other file, signed with the checkpoint key
 */

export const BUNDLE_VERSION = "vigil-export v1";

export const FILES = {
  ndjson: "events.ndjson",
  csv: "events.csv",
  omitted: "omitted.ndjson",
  proof: "proof.json",
  checkpoint: "checkpoint.txt",
  latest: "latest-checkpoint.txt",
  consistency: "consistency.json",
  key: "checkpoint-key.txt",
  manifest: "manifest.txt",
} as const;

export type ExportFormat = "ndjson" | "csv";

/** One event as exported: everything needed to recompute its stored hash, and its place in the ledger. */
export interface ExportedEvent {
  position: number;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  /** ISO 8601 with milliseconds, UTC, as hashed. */
  recorded_at: string;
  /** Hex SHA-256. */
  prev_hash: string;
  hash: string;
  /**
   * Personal data in this event is sealed for a person who was erased
   * (crypto-shredding): the ciphertext is exported as stored, so the hashes
   * still verify, but nobody can open it. Not part of the hashed envelope.
   */
  erased: boolean;
}

export const EVENT_COLUMNS = [
  "position",
  "stream_id",
  "stream_version",
  "event_id",
  "type",
  "schema_version",
  "data",
  "metadata",
  "recorded_at",
  "prev_hash",
  "hash",
  "erased",
] as const;

/** A position of the range that a filtered export leaves out: only its stored hash. */
export interface OmittedLeaf {
  position: number;
  hash: string;
}

/** Range mode: the complete subtrees covering [from, to), each with its path to the checkpoint root. */
export interface RangeProof {
  mode: "range";
  treeSize: number;
  subtrees: { level: number; index: number; hash: string; path: string[] }[];
}

/** Inclusion mode: one audit path per exported event. */
export interface InclusionProofs {
  mode: "inclusion";
  treeSize: number;
  proofs: { position: number; path: string[] }[];
}

export type ProofFile = RangeProof | InclusionProofs;

export interface ConsistencyFile {
  proofs: { from: number; to: number; hashes: string[] }[];
}

export interface ManifestFile {
  name: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  origin: string;
  id: string;
  format: ExportFormat;
  from: number;
  to: number;
  /** Empty: every type (every stream). */
  types: string[];
  streams: string[];
  events: number;
  checkpoint: number;
  latest: number;
  proof: ProofFile["mode"];
  files: ManifestFile[];
}

/** The manifest's note text (signed as a C2SP note): one `key value` line each, files last. */
export function formatManifest(m: Manifest): string {
  const list = (xs: string[]) => (xs.length ? xs.join(",") : "*");
  const lines = [
    BUNDLE_VERSION,
    `origin ${m.origin}`,
    `id ${m.id}`,
    `format ${m.format}`,
    `range ${m.from} ${m.to}`,
    `types ${list(m.types)}`,
    `streams ${list(m.streams)}`,
    `events ${m.events}`,
    `checkpoint ${m.checkpoint}`,
    `latest ${m.latest}`,
    `proof ${m.proof}`,
    ...m.files.map((f) => `file ${f.sha256} ${f.bytes} ${f.name}`),
  ];
  return `${lines.join("\n")}\n`;
}

const count = (s: string | undefined, what: string): number => {
  if (s === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(s)) throw new Error(`manifest: bad ${what}`);
  return Number(s);
};

export function parseManifest(text: string): Manifest {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines[0] !== BUNDLE_VERSION) throw new Error(`manifest: not a ${BUNDLE_VERSION} manifest`);
  const fields = new Map<string, string>();
  const files: ManifestFile[] = [];
  for (const line of lines.slice(1)) {
    const sp = line.indexOf(" ");
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? "" : line.slice(sp + 1);
    if (key === "file") {
      const m = /^([0-9a-f]{64}) (0|[1-9][0-9]{0,15}) ([A-Za-z0-9._-]+)$/.exec(value);
      if (!m) throw new Error("manifest: bad file line");
      files.push({ sha256: m[1]!, bytes: Number(m[2]), name: m[3]! });
    } else {
      if (fields.has(key)) throw new Error(`manifest: ${key} appears twice`);
      fields.set(key, value);
    }
  }
  const list = (v: string | undefined) => (v === undefined || v === "*" ? [] : v.split(","));
  const [from, to] = (fields.get("range") ?? "").split(" ");
  const format = fields.get("format");
  const proof = fields.get("proof");
  if (format !== "ndjson" && format !== "csv") throw new Error("manifest: bad format");
  if (proof !== "range" && proof !== "inclusion") throw new Error("manifest: bad proof mode");
  return {
    origin: fields.get("origin") ?? "",
    id: fields.get("id") ?? "",
    format,
    from: count(from, "range"),
    to: count(to, "range"),
    types: list(fields.get("types")),
    streams: list(fields.get("streams")),
    events: count(fields.get("events"), "event count"),
    checkpoint: count(fields.get("checkpoint"), "checkpoint size"),
    latest: count(fields.get("latest"), "latest size"),
    proof,
    files,
  };
}

/** One NDJSON line (with its newline), keys in column order. */
export function ndjsonLine(e: ExportedEvent): string {
  const ordered: Record<string, unknown> = {};
  for (const c of EVENT_COLUMNS) ordered[c] = e[c];
  return `${JSON.stringify(ordered)}\n`;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export const CSV_HEADER = `${EVENT_COLUMNS.join(",")}\r\n`;

/** One CSV row (with its CRLF); data and metadata are JSON text. */
export function csvRow(e: ExportedEvent): string {
  return `${EVENT_COLUMNS.map((c) => {
    const v = e[c];
    return csvField(c === "data" || c === "metadata" ? JSON.stringify(v) : String(v));
  }).join(",")}\r\n`;
}
