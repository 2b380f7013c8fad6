/**
 * The offline verifier against bundles the export writer makes from an
 * in-memory ledger (real chains, real RFC 6962 tree, real Ed25519 notes), and
 * against tampered copies of them: each tampering fails with its own check and
 * names the event or file.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { extract, pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ed25519VerifierKey,
  formatCheckpoint,
  parseCheckpoint,
  parseNote,
  signNote,
} from "../events/ledger/note.ts";
import { type ExportSpec, writeBundle } from "../src/audit/exports/bundle.ts";
import { type MemoryLedger, memoryLedger, testEvents } from "../src/audit/exports/testing.ts";
import { FILES } from "./format.ts";
import { verifyBundle } from "./verify.ts";

let dir: string;
let ledger: MemoryLedger;
let older: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-verify-"));
  ledger = memoryLedger();
  await ledger.append(testEvents(37));
  older = ledger.checkpoint().note;
  await ledger.append(testEvents(60, 5));
  ledger.checkpoint();
  await ledger.append(testEvents(13, 2));
  ledger.checkpoint();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const spec = (over: Partial<ExportSpec> = {}): ExportSpec => ({
  id: crypto.randomUUID(),
  from: 5,
  to: 80,
  types: [],
  streams: [],
  format: "ndjson",
  createdAt: new Date("2026-02-01T00:00:00Z"),
  ...over,
});

async function bundle(over: Partial<ExportSpec> = {}, view = ledger): Promise<Uint8Array> {
  const path = join(dir, `${crypto.randomUUID()}.tar`);
  await writeBundle(view, spec(over), path);
  return new Uint8Array(await readFile(path));
}

type Entry = { name: string; data: Uint8Array };

async function untar(bytes: Uint8Array): Promise<Entry[]> {
  const ex = extract();
  Readable.from([bytes]).pipe(ex as unknown as NodeJS.WritableStream);
  const out: Entry[] = [];
  for await (const e of ex) {
    const parts: Uint8Array[] = [];
    for await (const c of e as AsyncIterable<Uint8Array>) parts.push(c);
    out.push({ name: e.header.name, data: new Uint8Array(Buffer.concat(parts)) });
  }
  return out;
}

async function tar(entries: readonly Entry[]): Promise<Uint8Array> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, size: e.data.length }, Buffer.from(e.data));
  p.finalize();
  const parts: Uint8Array[] = [];
  for await (const c of p) parts.push(c as Uint8Array);
  return new Uint8Array(Buffer.concat(parts));
}

const text = (e: Entry) => new TextDecoder().decode(e.data);
const bytes = (s: string) => new TextEncoder().encode(s);

/** Edits one file of a bundle (and, when `manifest`, re-lists its hash in the manifest and re-signs it with `key`). */
async function tamper(
  b: Uint8Array,
  name: string,
  edit: (s: string) => string,
  resign?: { key: Uint8Array; name?: string },
): Promise<Uint8Array> {
  const entries = await untar(b);
  const target = entries.find((e) => e.name === name)!;
  target.data = bytes(edit(text(target)));
  if (resign) {
    const m = entries.find((e) => e.name === FILES.manifest)!;
    const body = parseNote(text(m)).text.replace(
      new RegExp(`^file [0-9a-f]{64} \\d+ ${name.replace(".", "\\.")}$`, "m"),
      `file ${bytesToHex(sha256(target.data))} ${target.data.length} ${name}`,
    );
    m.data = bytes(signNote(body, [{ name: resign.name ?? ledger.origin, secretKey: resign.key }]));
  }
  return tar(entries);
}

const verify = (b: Uint8Array, opts: { keys?: string[]; previous?: string } = {}) =>
  verifyBundle([b], { keys: [ledger.verifierKey], ...opts });

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

describe("the offline verifier on intact bundles", () => {
  it("accepts an NDJSON range export with a one-line summary, pinned key or the bundle's own", async () => {
    const b = await bundle();
    const r = await verify(b);
    expect(r).toMatchObject({ ok: true, events: 75, checkpoint: 97, latest: 110 });
    if (!r.ok) return;
    expect(r.summary).toMatch(
      /^OK: 75 events at ledger positions \[5, 80\) of vigil\.test\/ledger: .* checkpoint 97, consistent with checkpoint 110; 7 files signed by vigil\.test\/ledger\+[0-9a-f]{8}$/,
    );
    const unpinned = await verifyBundle([b]);
    expect(unpinned.ok && unpinned.summary).toMatch(/key taken from the bundle: pin it with --key/);
  });

  it("accepts CSV, the whole log, a single event, and filtered exports with either kind of proof", async () => {
    expect((await verify(await bundle({ format: "csv" }))).ok).toBe(true);
    expect((await verify(await bundle({ from: 0, to: 110 }))).ok).toBe(true);
    expect((await verify(await bundle({ from: 64, to: 65 }))).ok).toBe(true);
    const byType = await bundle({ types: ["TestNoted"], format: "csv" });
    expect(await verify(byType)).toMatchObject({ ok: true, events: 18 });
    // Two events in a range of 100: two audit paths are cheaper than 98 omitted leaves.
    const few = await bundle({ from: 0, to: 100, streams: ["acct-4"], types: ["TestNoted"] });
    const entries = await untar(few);
    expect(JSON.parse(text(entries.find((e) => e.name === FILES.proof)!)).mode).toBe("inclusion");
    expect(entries.map((e) => e.name)).not.toContain(FILES.omitted);
    expect(await verify(few)).toMatchObject({ ok: true, events: 3 });
  });

  it("puts every field needed to recompute the stored hash in each event", async () => {
    const entries = await untar(await bundle({ from: 0, to: 2 }));
    const [first] = lines(text(entries.find((e) => e.name === FILES.ndjson)!)).map((l) => JSON.parse(l));
    expect(Object.keys(first)).toEqual([
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
    ]);
    expect(first).toMatchObject({ position: 0, stream_version: 1, prev_hash: "0".repeat(64), erased: false });
    expect(first.hash).toBe(ledger.all[0]!.hash);
    expect(entries[0]!.name).toBe(FILES.manifest);
  });

  it("checks consistency with an older checkpoint the auditor kept", async () => {
    const withProof = await bundle({ previous: 37 });
    expect(await verify(withProof, { previous: older })).toMatchObject({ ok: true });
    const without = await verify(await bundle(), { previous: older });
    expect(without).toMatchObject({
      ok: false,
      check: "previous",
      message: "no consistency proof from 37 to 110 in consistency.json (export again with previous: 37)",
    });
    // The log's own key signing a different tree of size 37: a fork, caught.
    const forked = formatCheckpoint({ origin: ledger.origin, size: 37, rootHash: sha256(bytes("fork")) });
    const fork = signNote(forked, [{ name: ledger.origin, secretKey: ledger.secretKey }]);
    expect(await verify(withProof, { previous: fork })).toMatchObject({
      ok: false,
      check: "previous",
      message: expect.stringMatching(/^checkpoint 37 \(root .*\) is not a prefix of checkpoint 110$/),
    });
  });
});

describe("the offline verifier on tampered bundles", () => {
  let good: Uint8Array;
  beforeAll(async () => {
    good = await bundle();
  });

  it("one byte in one event: that event's hash no longer matches its content", async () => {
    const b = await tamper(good, FILES.ndjson, (s) => s.replace('"text":"event 7"', '"text":"event 8"'));
    const r = await verify(b);
    expect(r).toMatchObject({ ok: false, check: "event" });
    expect(!r.ok && r.message).toMatch(
      /^event at position 7 \(stream acct-1 v3, id [0-9a-f-]{36}\): its hash does not match its content/,
    );
  });

  it("a deleted event: its position is missing", async () => {
    const b = await tamper(good, FILES.ndjson, (s) =>
      lines(s)
        .filter((l) => !l.startsWith('{"position":42,'))
        .map((l) => `${l}\n`)
        .join(""),
    );
    expect(await verify(b)).toEqual({
      ok: false,
      check: "coverage",
      message: "position 42 is missing: neither an exported event nor an omitted leaf",
    });
  });

  it("two swapped events: out of order", async () => {
    const b = await tamper(good, FILES.ndjson, (s) => {
      const ls = lines(s);
      [ls[10], ls[11]] = [ls[11]!, ls[10]!];
      return ls.map((l) => `${l}\n`).join("");
    });
    const r = await verify(b);
    expect(r).toMatchObject({ ok: false, check: "event" });
    expect(!r.ok && r.message).toMatch(
      /^event at position 15 .* comes after position 16: events are out of order or repeated$/,
    );
  });

  it("an event rewritten with a recomputed hash: the stream's chain breaks", async () => {
    const entries = await untar(good);
    const file = entries.find((e) => e.name === FILES.ndjson)!;
    const forged = lines(text(file)).map((l) => JSON.parse(l));
    const victim = forged.find((e) => e.position === 20)!;
    victim.data.text = "rewritten";
    const { linkHash, canonicalEnvelope } = await import("../events/envelope.ts");
    const { position: _, prev_hash, hash: __, erased: ___, ...env } = victim;
    victim.hash = bytesToHex(
      linkHash(Uint8Array.from(Buffer.from(prev_hash, "hex")), canonicalEnvelope(env)),
    );
    file.data = bytes(forged.map((e) => `${JSON.stringify(e)}\n`).join(""));
    const r = await verify(await tar(entries));
    expect(r).toMatchObject({ ok: false, check: "chain" });
    expect(!r.ok && r.message).toMatch(/^stream acct-2: v8 at position 23 does not link to v7/);
  });

  it("a forged checkpoint: another root under the old signature, or a key nobody trusts", async () => {
    const edited = await tamper(good, FILES.checkpoint, (s) => s.replace(/\n(\d+)\n/, "\n96\n"));
    expect(await verify(edited)).toMatchObject({
      ok: false,
      check: "checkpoint",
      message: expect.stringMatching(
        /^checkpoint\.txt: signature by vigil\.test\/ledger\+[0-9a-f]{8} does not verify$/,
      ),
    });
    const mallory = ed25519.utils.randomSecretKey();
    const cp = parseCheckpoint(
      parseNote(text((await untar(good)).find((e) => e.name === FILES.checkpoint)!)).text,
    );
    const fake = signNote(formatCheckpoint({ ...cp, rootHash: sha256(bytes("x")) }), [
      { name: "mallory.example/log", secretKey: mallory },
    ]);
    expect(await verify(await tamper(good, FILES.checkpoint, () => fake))).toMatchObject({
      ok: false,
      check: "checkpoint",
      message: "checkpoint.txt: note is not signed by any trusted key",
    });
    // Re-signing the manifest with another key is refused when the key is pinned.
    const resigned = await tamper(good, FILES.proof, (s) => s, { key: mallory });
    expect(await verify(resigned)).toMatchObject({ ok: false, check: "manifest signature" });
    const otherKey = ed25519VerifierKey(ledger.origin, ed25519.getPublicKey(mallory));
    expect(await verify(good, { keys: [otherKey] })).toMatchObject({
      ok: false,
      check: "manifest signature",
      message: "manifest.txt: note is not signed by any trusted key",
    });
  });

  it("a manifest mismatch: a file changed after signing, one added, one removed", async () => {
    const changed = await tamper(good, FILES.proof, (s) => `${s} `);
    expect(await verify(changed)).toMatchObject({
      ok: false,
      check: "manifest files",
      message: expect.stringMatching(
        /^proof\.json does not match the manifest \(sha256 [0-9a-f]{64}, \d+ bytes; manifest: /,
      ),
    });
    const entries = await untar(good);
    expect(await verify(await tar([...entries, { name: "notes.txt", data: bytes("hi") }]))).toEqual({
      ok: false,
      check: "manifest files",
      message: "notes.txt is in the bundle but not in the manifest",
    });
    expect(await verify(await tar(entries.filter((e) => e.name !== FILES.key)))).toEqual({
      ok: false,
      check: "manifest files",
      message: "checkpoint-key.txt is in the manifest but not in the bundle",
    });
  });

  it("a Merkle proof that does not lead to the root, and a bundle that is not a tar", async () => {
    const b = await tamper(good, FILES.proof, (s) => {
      const p = JSON.parse(s);
      p.subtrees[1].path[0] = "ab".repeat(32);
      return JSON.stringify(p);
    });
    expect(await verify(b)).toMatchObject({
      ok: false,
      check: "merkle",
      message: "subtree [6, 8) does not lead to the root of checkpoint 97",
    });
    expect(await verify(bytes("not a tar at all".repeat(64)))).toMatchObject({ ok: false, check: "bundle" });
  });
});
