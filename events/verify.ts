/**
 * Recomputes every stream's hash chain from the stored rows. Anything that
 * rewrote history (an edited field, a deleted or inserted event, a moved head)
 * shows up as the first link that no longer holds.
 */
import type { Db } from "../db/client.ts";
import { canonicalEnvelope, GENESIS_HASH, linkHash, sameBytes, toHex } from "./envelope.ts";
import type { EventMetadata } from "./types.ts";

export interface ChainBreak {
  streamId: string;
  /** The stream version at which the chain stops holding. */
  version: number;
  reason: "hash_mismatch" | "prev_hash_mismatch" | "version_gap" | "head_mismatch";
  expected: string;
  found: string;
}

export interface ChainReport {
  streams: number;
  events: number;
  /** The first break of each broken stream, in stream order. */
  breaks: ChainBreak[];
}

interface Row {
  stream_id: string;
  s_version: number;
  s_head: Uint8Array | null;
  stream_version: number | null;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

const BATCH = 5000;

interface StreamCursor {
  id: string;
  version: number;
  head: Uint8Array;
  broken: boolean;
  sVersion: number;
  sHead: Uint8Array | null;
}

export async function verifyChains(db: Db, onProgress?: (events: number) => void): Promise<ChainReport> {
  const report: ChainReport = { streams: 0, events: 0, breaks: [] };
  let cursor: { stream: string; version: number } = { stream: "", version: -1 };
  let current = null as StreamCursor | null;

  const finish = () => {
    if (!current || current.broken) return;
    const head = current.sHead ?? GENESIS_HASH;
    if (current.sVersion !== current.version || !sameBytes(head, current.head)) {
      report.breaks.push({
        streamId: current.id,
        version: current.sVersion,
        reason: "head_mismatch",
        expected: `v${current.version} ${toHex(current.head)}`,
        found: `v${current.sVersion} ${toHex(head)}`,
      });
    }
  };
  const broke = (b: ChainBreak) => {
    report.breaks.push(b);
    current!.broken = true;
  };

  for (;;) {
    // Streams LEFT JOIN events: a stream whose events were all deleted still shows up.
    const rows = await db.query<Row>(
      `SELECT s.stream_id, s.version AS s_version, s.head_hash AS s_head, e.stream_version, e.event_id::text AS event_id,
              e.type, e.schema_version, e.data, e.metadata, e.recorded_at, e.prev_hash, e.hash
         FROM streams s LEFT JOIN events e ON e.stream_id = s.stream_id
        WHERE (s.stream_id, coalesce(e.stream_version, 0)) > ($1, $2)
        ORDER BY s.stream_id, e.stream_version NULLS FIRST
        LIMIT ${BATCH}`,
      [cursor.stream, cursor.version],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      if (current?.id !== r.stream_id) {
        finish();
        report.streams++;
        current = {
          id: r.stream_id,
          version: 0,
          head: GENESIS_HASH,
          broken: false,
          sVersion: r.s_version,
          sHead: r.s_head,
        };
      }
      cursor = { stream: r.stream_id, version: r.stream_version ?? 0 };
      if (r.stream_version === null || current.broken) continue;
      report.events++;
      const expectedVersion = current.version + 1;
      if (r.stream_version !== expectedVersion) {
        broke({
          streamId: r.stream_id,
          version: expectedVersion,
          reason: "version_gap",
          expected: `v${expectedVersion}`,
          found: `v${r.stream_version}`,
        });
        continue;
      }
      if (!sameBytes(r.prev_hash, current.head)) {
        broke({
          streamId: r.stream_id,
          version: r.stream_version,
          reason: "prev_hash_mismatch",
          expected: toHex(current.head),
          found: toHex(r.prev_hash),
        });
        continue;
      }
      const canonical = canonicalEnvelope({
        stream_id: r.stream_id,
        stream_version: r.stream_version,
        event_id: r.event_id,
        type: r.type,
        schema_version: r.schema_version,
        data: r.data,
        metadata: r.metadata,
        recorded_at: r.recorded_at.toISOString(),
      });
      const computed = linkHash(current.head, canonical);
      if (!sameBytes(computed, r.hash)) {
        broke({
          streamId: r.stream_id,
          version: r.stream_version,
          reason: "hash_mismatch",
          expected: toHex(computed),
          found: toHex(r.hash),
        });
        continue;
      }
      current.version = r.stream_version;
      current.head = r.hash;
    }
    onProgress?.(report.events);
  }
  finish();
  return report;
}
