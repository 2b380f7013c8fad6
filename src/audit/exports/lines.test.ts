import { describe, expect, it } from "vitest";
import { CSV_HEADER, csvRow, type ExportedEvent, ndjsonLine } from "../../../verifier/format.ts";
import { csvEventRow, ndjsonEventLine, RawJson } from "./lines.ts";

const event = (over: Partial<ExportedEvent> = {}): ExportedEvent => ({
  position: 41,
  stream_id: 'user-0190a0a0-"quoted",comma',
  stream_version: 3,
  event_id: "0190a0a0-0000-7000-8000-000000000001",
  type: "EmailChanged",
  schema_version: 2,
  data: { email: "pii:user-1:abc", nested: { n: 1.5, list: [1, "two\nlines", null] }, emoji: "é😀" },
  metadata: { actor: "user:1", ip: null, reason: 'he said "no"' },
  recorded_at: "2026-11-30T12:00:00.123Z",
  prev_hash: "00".repeat(32),
  hash: "ab".repeat(32),
  erased: true,
  ...over,
});

describe("export lines", () => {
  it("are byte for byte the format's lines for plain values", () => {
    for (const e of [event(), event({ data: {}, metadata: {}, erased: false })]) {
      expect(ndjsonEventLine(e)).toBe(ndjsonLine(e));
      expect(csvEventRow(e)).toBe(csvRow(e));
    }
  });

  it("write raw JSON text as it is, which parses to the same event", () => {
    const plain = event();
    // How Postgres renders jsonb: spaces after colons and commas, keys by length.
    const raw = event({
      data: new RawJson(
        '{"emoji": "é😀", "email": "pii:user-1:abc", "nested": {"n": 1.5, "list": [1, "two\\nlines", null]}}',
      ),
      metadata: new RawJson('{"ip": null, "actor": "user:1", "reason": "he said \\"no\\""}'),
    });
    const line = ndjsonEventLine(raw);
    expect(line.endsWith("}\n")).toBe(true);
    expect(JSON.parse(line)).toEqual(JSON.parse(ndjsonLine(plain)));
    // CSV: the same columns; data and metadata parse to the same values.
    expect(CSV_HEADER.split(",")).toHaveLength(12);
    const row = csvEventRow(raw);
    expect(row.endsWith("\r\n")).toBe(true);
    expect(row).toContain('"{""emoji"": ""é😀""');
    // RawJson still serialises as its value wherever something else stringifies it.
    expect(JSON.parse(JSON.stringify({ d: raw.data }))).toEqual({ d: plain.data });
  });
});
