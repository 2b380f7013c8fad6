/**
 * The events file's lines, written without a parse and re-serialisation of
 * each event's data and metadata: the database hands them over as JSON text
 * (RawJson) and that text goes into the line as it is. The lines are the
 * format's (verifier/format.ts: `ndjsonLine`, `csvRow`): the same keys in the
 * same order, and the same bytes for events given as plain values. Raw JSON
 * text is Postgres's rendering of the stored jsonb, which parses to exactly the
 * values JSON.parse of the driver would have produced, so the verifier hashes
 * the same thing.
 */
import type { ExportedEvent } from "../../../verifier/format.ts";

/** JSON text to be written as it is (still a value: JSON.stringify parses it back). */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

const json = (v: unknown): string => (v instanceof RawJson ? v.text : JSON.stringify(v));
const str = JSON.stringify;

/** One NDJSON line (with its newline), byte for byte `ndjsonLine` for plain values. */
export function ndjsonEventLine(e: ExportedEvent): string {
  return (
    `{"position":${str(e.position)},"stream_id":${str(e.stream_id)},"stream_version":${str(e.stream_version)},` +
    `"event_id":${str(e.event_id)},"type":${str(e.type)},"schema_version":${str(e.schema_version)},` +
    `"data":${json(e.data)},"metadata":${json(e.metadata)},"recorded_at":${str(e.recorded_at)},` +
    `"prev_hash":${str(e.prev_hash)},"hash":${str(e.hash)},"erased":${str(e.erased)}}\n`
  );
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV row (with its CRLF), byte for byte `csvRow` for plain values. */
export function csvEventRow(e: ExportedEvent): string {
  return `${[
    String(e.position),
    e.stream_id,
    String(e.stream_version),
    e.event_id,
    e.type,
    String(e.schema_version),
    json(e.data),
    json(e.metadata),
    e.recorded_at,
    e.prev_hash,
    e.hash,
    String(e.erased),
  ]
    .map(csvField)
    .join(",")}\r\n`;
}
