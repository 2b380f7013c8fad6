/**
 * Reads the events file of a bundle record by record, as its bytes stream in:
 * NDJSON lines or RFC 4180 CSV rows (quoted fields may hold anything). Each
 * record becomes an ExportedEvent, or a description of what is wrong with it.
 */
import { EVENT_COLUMNS, type ExportedEvent, type ExportFormat } from "./format.ts";

export type Parsed = { ok: true; event: ExportedEvent } | { ok: false; error: string };

/** Feeds text chunks; calls `onRecord(fields | line, recordNumber)` per complete record. */
export interface RecordReader {
  push(text: string): void;
  end(): void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Checks the shape of one record; the hash checks come later. */
export function toEvent(o: Record<string, unknown>): Parsed {
  for (const c of EVENT_COLUMNS) if (!(c in o)) return { ok: false, error: `has no ${c}` };
  const bad = (f: string) => ({ ok: false as const, error: `has an invalid ${f}` });
  if (!isCount(o.position)) return bad("position");
  if (!isCount(o.stream_version) || o.stream_version < 1) return bad("stream_version");
  if (!isCount(o.schema_version)) return bad("schema_version");
  for (const f of ["stream_id", "event_id", "type", "recorded_at"] as const) {
    if (typeof o[f] !== "string") return bad(f);
  }
  for (const f of ["prev_hash", "hash"] as const) {
    if (typeof o[f] !== "string" || !HEX64.test(o[f])) return bad(f);
  }
  if (typeof o.erased !== "boolean") return bad("erased");
  return { ok: true, event: o as unknown as ExportedEvent };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** NDJSON: one JSON object per line. */
function ndjsonReader(onRecord: (p: Parsed, n: number) => void): RecordReader {
  let n = 0;
  const line = (l: string) => {
    if (l === "") return;
    n++;
    const o = parseJson(l);
    if (!o || typeof o !== "object" || Array.isArray(o))
      onRecord({ ok: false, error: "is not a JSON object" }, n);
    else onRecord(toEvent(o as Record<string, unknown>), n);
  };
  return lineReader(line);
}

/** Calls `line` with each line of the text pushed, the last one at `end`. */
export function lineReader(line: (l: string) => void): RecordReader {
  let buf = "";
  return {
    push(text) {
      const lines = (buf + text).split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) line(l);
    },
    end() {
      line(buf);
      buf = "";
    },
  };
}

/** CSV: a header row naming the columns, then one row per event; numbers and JSON columns are decoded. */
function csvReader(onRecord: (p: Parsed, n: number) => void): RecordReader {
  let field = "";
  let row: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let header: string[] | null = null;
  let n = 0;
  let pendingCr = false;

  const endRow = () => {
    row.push(field);
    field = "";
    const fields = row;
    row = [];
    if (fields.length === 1 && fields[0] === "") return;
    if (!header) {
      header = fields;
      return;
    }
    n++;
    if (fields.length !== header.length) {
      onRecord({ ok: false, error: `has ${fields.length} fields, the header ${header.length}` }, n);
      return;
    }
    const o: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = fields[i]!;
      if (h === "data" || h === "metadata") o[h] = parseJson(v);
      else if (h === "erased") o[h] = v === "true" ? true : v === "false" ? false : v;
      else if (h === "position" || h === "stream_version" || h === "schema_version")
        o[h] = /^(0|[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v;
      else o[h] = v;
    });
    if (o.data === undefined || o.metadata === undefined) {
      onRecord({ ok: false, error: "has data or metadata that is not JSON" }, n);
      return;
    }
    onRecord(toEvent(o), n);
  };

  return {
    push(text) {
      for (const ch of text) {
        if (pendingCr) {
          pendingCr = false;
          if (ch === "\n") continue;
        }
        if (quoted) {
          if (ch === '"') {
            quoted = false;
            afterQuote = true;
          } else field += ch;
          continue;
        }
        if (ch === '"') {
          // A doubled quote inside a quoted field: the first closed it, this reopens it.
          if (afterQuote) field += '"';
          quoted = true;
          afterQuote = false;
          continue;
        }
        afterQuote = false;
        if (ch === ",") {
          row.push(field);
          field = "";
        } else if (ch === "\r" || ch === "\n") {
          pendingCr = ch === "\r";
          endRow();
        } else field += ch;
      }
    },
    end() {
      if (field !== "" || row.length) endRow();
    },
  };
}

export function recordReader(format: ExportFormat, onRecord: (p: Parsed, n: number) => void): RecordReader {
  return format === "csv" ? csvReader(onRecord) : ndjsonReader(onRecord);
}
