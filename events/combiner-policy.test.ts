/**
 * When the write combiner sends what (events/combiner.ts), on a stand-in
 * database that records each statement and answers when told to.
 */
import { describe, expect, it } from "vitest";
import type { Db } from "../db/client.ts";
import { type AppendRow, createAppendCombiner } from "./combiner.ts";

interface Sent {
  streams: string[];
  answer(): void;
}

/** Records each statement's streams; a statement answers (every append committed) when its `answer` is called. */
function standIn(): { db: Db; sent: Sent[] } {
  const sent: Sent[] = [];
  const query = (text: string, params: readonly unknown[] = []) =>
    new Promise<unknown[]>((resolve) => {
      const many = text.includes("vigil_append_many") || text.includes("vigil_append_each");
      const streams = many
        ? String(params[0])
            .slice(1, -1)
            .split(",")
            .map((s) => s.slice(1, -1))
        : [String(params[0])];
      const row = (): AppendRow & { err_code: null } => ({
        ids: [1],
        tx_id: String(sent.length),
        version: 1,
        head_hash: new Uint8Array(32),
        err_code: null,
      });
      sent.push({ streams, answer: () => resolve(streams.map(row)) });
    });
  const db = { kind: "postgres", query } as unknown as Db;
  return { db, sent };
}

const turn = () => new Promise((r) => setImmediate(r));
const append = (c: ReturnType<typeof createAppendCombiner>, streamId: string) =>
  c.append({ streamId, streamType: "s", expected: 0, canon: ["{}"] });

describe("write combiner policy", () => {
  it("sends an append at once when nothing is in flight", async () => {
    const { db, sent } = standIn();
    const c = createAppendCombiner(db, { maxInFlight: 4 });
    const done = append(c, "a");
    expect(sent.map((s) => s.streams)).toEqual([["a"]]);
    sent[0]!.answer();
    await done;
  });

  it("sends what queues behind a batch in flight together, at the end of the turn, not the first alone", async () => {
    const { db, sent } = standIn();
    const c = createAppendCombiner(db, { maxInFlight: 4 });
    const first = append(c, "a");
    const rest = ["b", "c", "d"].map((s) => append(c, s));
    expect(sent).toHaveLength(1);
    await turn();
    expect(sent.map((s) => s.streams)).toEqual([["a"], ["b", "c", "d"]]);
    // The callers a batch answers append again in the same turn: they go together.
    sent[1]!.answer();
    const again = (await Promise.all(rest)).map((_, i) => append(c, `${"bcd"[i]}2`));
    await turn();
    expect(sent.slice(2).map((s) => s.streams)).toEqual([["b2", "c2", "d2"]]);
    sent[0]!.answer();
    sent[2]!.answer();
    await Promise.all([first, ...again]);
  });
});
