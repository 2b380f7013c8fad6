/**
 * Test support: an in-memory ledger with real hash chains, a real RFC 6962
 * tree (the ledger's accumulator) and real Ed25519-signed checkpoints, behind
 * the same LedgerView the export job reads the database through. Not imported
 * by runtime code.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { canonicalEnvelope, GENESIS_HASH, linkHash, toHex } from "../../../events/envelope.ts";
import { type Hash, leafHash, MerkleAccumulator, rangeHash } from "../../../events/ledger/merkle.ts";
import { ed25519VerifierKey, formatCheckpoint, signNote } from "../../../events/ledger/note.ts";
import type { ExportedEvent } from "../../../verifier/format.ts";
import type { LedgerView, SignedCheckpoint } from "./bundle.ts";

export const TEST_ORIGIN = "vigil.test/ledger";

export interface TestEvent {
  stream: string;
  type: string;
  data: unknown;
}

export interface MemoryLedger extends LedgerView {
  readonly all: ExportedEvent[];
  readonly verifierKey: string;
  readonly secretKey: Uint8Array;
  /** Signs and stores a checkpoint of the tree as it is now. */
  checkpoint(): SignedCheckpoint;
  append(events: readonly TestEvent[]): Promise<void>;
}

const META = {
  actor: "system:test",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: null,
  causationId: null,
};

export function memoryLedger(
  opts: { origin?: string; secretKey?: Uint8Array; batch?: number } = {},
): MemoryLedger {
  const origin = opts.origin ?? TEST_ORIGIN;
  const secretKey = opts.secretKey ?? ed25519.utils.randomSecretKey();
  const verifierKey = ed25519VerifierKey(origin, ed25519.getPublicKey(secretKey));
  const tree = new MerkleAccumulator();
  const nodes = new Map<string, Hash>();
  const heads = new Map<string, { version: number; hash: Uint8Array }>();
  const checkpoints: SignedCheckpoint[] = [];
  const all: ExportedEvent[] = [];
  const batch = opts.batch ?? 1000;
  const lookup = (level: number, index: number) => nodes.get(`${level}:${index}`);
  let clock = Date.parse("2026-01-01T00:00:00.000Z");

  return {
    origin,
    all,
    verifierKey,
    secretKey,
    async append(events) {
      for (const e of events) {
        const head = heads.get(e.stream) ?? { version: 0, hash: GENESIS_HASH };
        clock += 1000;
        const envelope = {
          stream_id: e.stream,
          stream_version: head.version + 1,
          event_id: crypto.randomUUID(),
          type: e.type,
          schema_version: 1,
          data: e.data,
          metadata: META,
          recorded_at: new Date(clock).toISOString(),
        };
        const hash = linkHash(head.hash, canonicalEnvelope(envelope));
        heads.set(e.stream, { version: envelope.stream_version, hash });
        all.push({
          position: all.length,
          ...envelope,
          prev_hash: toHex(head.hash),
          hash: toHex(hash),
          erased: false,
        });
        for (const n of tree.append(leafHash(hash))) nodes.set(`${n.level}:${n.index}`, n.hash);
      }
    },
    checkpoint() {
      const text = formatCheckpoint({ origin, size: tree.size, rootHash: tree.root() });
      const cp = { note: signNote(text, [{ name: origin, secretKey }]), size: tree.size };
      checkpoints.push(cp);
      return cp;
    },
    async *events(from, to) {
      for (let p = from; p < to; p += batch) yield all.slice(p, Math.min(to, p + batch));
    },
    async latestCheckpoint() {
      return checkpoints.at(-1) ?? null;
    },
    async checkpointCovering(size) {
      return checkpoints.find((c) => c.size >= size) ?? null;
    },
    async rangeHashes(ranges) {
      return ranges.map((r) => rangeHash(r, lookup));
    },
    async signNote(text) {
      return signNote(text, [{ name: origin, secretKey }]);
    },
    async verifierKeys() {
      return [verifierKey];
    },
  };
}

/** `n` events over `streams` streams, round robin, of two types. */
export function testEvents(n: number, streams = 3): TestEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    stream: `acct-${i % streams}`,
    type: i % 4 === 3 ? "TestNoted" : "TestHappened",
    data: { n: i, text: `event ${i}`, nested: { ok: true, ratio: i / 8 } },
  }));
}
