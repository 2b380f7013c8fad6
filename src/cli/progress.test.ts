import { describe, expect, it } from "vitest";
import { terminalProgress } from "./progress.ts";

describe("terminal progress", () => {
  it("redraws one line at most every 100 ms, with elapsed time and rate, and ends it once", () => {
    let t = 0;
    const written: string[] = [];
    const p = terminalProgress({ write: (s) => written.push(s), tty: true }, () => t);
    t = 500;
    p.update("verify: 1000 events checked", 1000);
    t = 550;
    p.update("verify: 1100 events checked", 1100); // too soon: not drawn
    t = 1000;
    p.update("verify: 2000 events checked", 2000);
    p.done();
    p.done();
    expect(written).toEqual([
      "\rverify: 1000 events checked (0.5 s, 2,000/s)   ",
      "\rverify: 2000 events checked (1.0 s, 2,000/s)   ",
      "\n",
    ]);
  });

  it("prints nothing off a terminal", () => {
    const written: string[] = [];
    const p = terminalProgress({ write: (s) => written.push(s), tty: false }, () => 1000);
    p.update("replay: 5 events", 5);
    p.done();
    expect(written).toEqual([]);
  });
});
