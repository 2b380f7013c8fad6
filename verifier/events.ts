/**
 * Checks the exported events as they stream in, and afterwards the coverage of
 * the range and every stream's hash chain within it:
 *
 * - each event's stored hash is SHA-256(prev_hash ‖ RFC 8785 canonical
 *   envelope), recomputed here from its fields;
 * - positions ascend strictly and lie in [from, to); types and streams are
 *   the ones the export selected;
 * - every position of the range is an exported event or an omitted leaf;
 * - within a stream, version n+1's prev_hash is version n's hash, version 1
 *   starts from 32 zero bytes, and (unless types were filtered) no version is
 *   missing between the first and the last one in the range.
 *
 * It keeps each position's Merkle leaf for the proofs (proofs.ts).
 */

import { hexToBytes } from "@noble/hashes/utils.js";
import { canonicalEnvelope, GENESIS_HASH, linkHash, toHex } from "../events/envelope.ts";
import { equalHashes, leafHash } from "../events/ledger/merkle.ts";
import type { EventMetadata } from "../events/types.ts";
import type { Findings } from "./checks.ts";
import type { ExportedEvent, Manifest } from "./format.ts";
import { lineReader, type Parsed, type RecordReader } from "./records.ts";

/** Positions a range may span in this verifier (32 bytes of leaf each). */
export const MAX_RANGE = 50_000_000;

interface Link {
  hash: string;
  prev: string;
  position: number;
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const o: unknown = JSON.parse(line);
    return o && typeof o === "object" ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const describe = (e: ExportedEvent) =>
  `event at position ${e.position} (stream ${e.stream_id} v${e.stream_version}, id ${e.event_id})`;

export class EventChecker {
  count = 0;
  eventsFileSeen = false;
  /** Positions of the exported events, ascending. */
  readonly positions: number[] = [];
  readonly manifest: Manifest;
  readonly #findings: Findings;
  readonly #leaves: Uint8Array;
  readonly #filled: Uint8Array;
  readonly #types: Set<string>;
  readonly #streamFilter: Set<string>;
  readonly #streams = new Map<string, Map<number, Link>>();
  #last = -1;

  constructor(manifest: Manifest, findings: Findings) {
    this.manifest = manifest;
    this.#findings = findings;
    const span = manifest.to - manifest.from;
    if (span < 0 || span > MAX_RANGE) {
      findings.fail("bundle", `the range [${manifest.from}, ${manifest.to}) is empty, inverted or too large`);
    }
    const n = Math.max(0, Math.min(span, MAX_RANGE));
    this.#leaves = new Uint8Array(n * 32);
    this.#filled = new Uint8Array(n);
    this.#types = new Set(manifest.types);
    this.#streamFilter = new Set(manifest.streams);
  }

  /** The Merkle leaf of a position, once its event or omitted leaf was read. */
  leafAt(position: number): Uint8Array | null {
    const i = position - this.manifest.from;
    if (i < 0 || i >= this.#filled.length || !this.#filled[i]) return null;
    return this.#leaves.subarray(i * 32, i * 32 + 32);
  }

  #setLeaf(position: number, storedHash: string, what: string): boolean {
    const i = position - this.manifest.from;
    if (i < 0 || i >= this.#filled.length) {
      this.#findings.fail(
        "event",
        `${what}: position ${position} is outside the range [${this.manifest.from}, ${this.manifest.to})`,
      );
      return false;
    }
    if (this.#filled[i]) {
      this.#findings.fail("coverage", `position ${position} is both exported and omitted`);
      return false;
    }
    this.#leaves.set(leafHash(hexToBytes(storedHash)), i * 32);
    this.#filled[i] = 1;
    return true;
  }

  /** Checks one parsed record as the reader yields it: everything here is synchronous. */
  check(p: Parsed, line: number) {
    const fail = (m: string) => this.#findings.fail("event", m);
    if (!p.ok) return fail(`event ${line} of the events file ${p.error}`);
    const e = p.event;
    this.count++;
    if (e.position <= this.#last) {
      return fail(`${describe(e)} comes after position ${this.#last}: events are out of order or repeated`);
    }
    this.#last = e.position;
    if (this.#types.size && !this.#types.has(e.type))
      return fail(`${describe(e)} is of type ${e.type}, not exported`);
    if (this.#streamFilter.size && !this.#streamFilter.has(e.stream_id)) {
      return fail(`${describe(e)} is of a stream the export did not select`);
    }
    let canonical: string;
    try {
      canonical = canonicalEnvelope({
        stream_id: e.stream_id,
        stream_version: e.stream_version,
        event_id: e.event_id,
        type: e.type,
        schema_version: e.schema_version,
        data: e.data,
        metadata: e.metadata as EventMetadata,
        recorded_at: e.recorded_at,
      });
    } catch {
      return fail(`${describe(e)} cannot be put in canonical form`);
    }
    const computed = linkHash(hexToBytes(e.prev_hash), canonical);
    if (!equalHashes(computed, hexToBytes(e.hash))) {
      return fail(
        `${describe(e)}: its hash does not match its content (recomputed ${toHex(computed)}, stored ${e.hash})`,
      );
    }
    if (!this.#setLeaf(e.position, e.hash, describe(e))) return;
    this.positions.push(e.position);
    const versions = this.#streams.get(e.stream_id) ?? new Map<number, Link>();
    this.#streams.set(e.stream_id, versions);
    if (versions.has(e.stream_version))
      return fail(`${describe(e)}: version ${e.stream_version} appears twice`);
    versions.set(e.stream_version, { hash: e.hash, prev: e.prev_hash, position: e.position });
  }

  /** Lines `{"position": n, "hash": "<hex>"}`: positions a filtered export leaves out. */
  omittedReader(): RecordReader {
    let last = -1;
    const line = (l: string) => {
      if (l === "") return;
      const o = parseObject(l);
      const position = o?.position;
      const hash = o?.hash;
      if (
        typeof position !== "number" ||
        !Number.isSafeInteger(position) ||
        typeof hash !== "string" ||
        !/^[0-9a-f]{64}$/.test(hash)
      ) {
        this.#findings.fail("bundle", `omitted.ndjson has a malformed line`);
        return;
      }
      if (position <= last) this.#findings.fail("coverage", `omitted position ${position} is out of order`);
      last = position;
      this.#setLeaf(position, hash, "omitted leaf");
    };
    return lineReader(line);
  }

  /** After the last event: the count, the range coverage (range proofs), and the chains. */
  finish(): void {
    const m = this.manifest;
    if (m.proof === "range") {
      const missing = this.#filled.indexOf(0);
      if (missing >= 0) {
        this.#findings.fail(
          "coverage",
          `position ${m.from + missing} is missing: neither an exported event nor an omitted leaf`,
        );
      }
    }
    if (this.count !== m.events) {
      this.#findings.fail(
        "coverage",
        `the manifest lists ${m.events} events, the events file holds ${this.count}`,
      );
    }
    this.#checkChains();
  }

  #checkChains(): void {
    const gapsAllowed = this.manifest.types.length > 0;
    const genesis = toHex(GENESIS_HASH);
    for (const [stream, versions] of this.#streams) {
      const sorted = [...versions.keys()].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i++) {
        const v = sorted[i]!;
        const link = versions.get(v)!;
        if (v === 1 && link.prev !== genesis) {
          this.#findings.fail(
            "chain",
            `stream ${stream} v1 at position ${link.position} does not start from the genesis hash`,
          );
          return;
        }
        const next = sorted[i + 1];
        if (next === undefined) continue;
        if (next !== v + 1) {
          if (gapsAllowed) continue;
          this.#findings.fail(
            "chain",
            `stream ${stream}: version ${v + 1} is missing (v${v} at position ${link.position}, v${next} at position ${versions.get(next)!.position})`,
          );
          return;
        }
        const after = versions.get(next)!;
        if (after.prev !== link.hash) {
          this.#findings.fail(
            "chain",
            `stream ${stream}: v${next} at position ${after.position} does not link to v${v} (prev_hash ${after.prev}, v${v}'s hash ${link.hash})`,
          );
          return;
        }
      }
    }
  }
}
