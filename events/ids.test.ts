import { describe, expect, it } from "vitest";
import { uuidv7 } from "./ids.ts";

describe("uuidv7", () => {
  it("puts the millisecond timestamp big-endian in the first 48 bits, with version 7 and the RFC variant", () => {
    for (const ms of [0, 1, 255, 256, 0x0193a4b27c1e, 2 ** 48 - 1, Date.parse("2026-11-30T14:00:00Z")]) {
      const id = uuidv7(ms);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(ms);
    }
  });

  it("sorts by time and does not repeat", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7())).size).toBe(5000);
  });
});
