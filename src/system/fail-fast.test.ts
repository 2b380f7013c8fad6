import { describe, expect, it } from "vitest";
import { Breaker, TimeoutError, UnavailableError, withTimeout } from "./fail-fast.ts";

const never = () => new Promise<never>(() => {});

describe("withTimeout", () => {
  it("passes the value or the error through, and rejects with TimeoutError when nothing comes", async () => {
    await expect(withTimeout(Promise.resolve(7), 50)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("down")), 50)).rejects.toThrow("down");
    await expect(withTimeout(never(), 20)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("keeps the first outcome: an answer after the time limit changes nothing", async () => {
    let answer!: (v: number) => void;
    const late = withTimeout(new Promise<number>((r) => (answer = r)), 10);
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    answer(1);
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe("Breaker", () => {
  function breaker() {
    let now = 1_000;
    const events: string[] = [];
    const b = new Breaker({
      timeoutMs: 20,
      retryMs: 100,
      clock: () => now,
      onOpen: () => events.push("open"),
      onClose: () => events.push("close"),
    });
    return { b, events, advance: (ms: number) => (now += ms) };
  }

  it("opens on a failure, refuses without calling while open, probes once per period, closes on success", async () => {
    const { b, events, advance } = breaker();
    let calls = 0;
    const ok = () => {
      calls++;
      return Promise.resolve("ok");
    };
    await expect(b.run(ok)).resolves.toBe("ok");
    await expect(b.run(() => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(b.open).toBe(true);
    await expect(b.run(ok)).rejects.toBeInstanceOf(UnavailableError);
    expect(calls).toBe(1);
    advance(100);
    await expect(b.run(ok)).resolves.toBe("ok");
    expect(calls).toBe(2);
    expect(b.open).toBe(false);
    expect(events).toEqual(["open", "close"]);
  });

  it("counts a time-out and a synchronous throw as failures", async () => {
    const { b, events, advance } = breaker();
    await expect(b.run(never)).rejects.toBeInstanceOf(TimeoutError);
    expect(b.open).toBe(true);
    advance(100);
    await expect(
      b.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    expect(b.open).toBe(true);
    expect(events).toEqual(["open"]);
  });
});
