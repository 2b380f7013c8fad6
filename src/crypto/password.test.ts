import { afterAll, describe, expect, it } from "vitest";
import { createPasswordHasher, DUMMY_PHC, MAX_PASSWORD_BYTES, parsePhc } from "./password.ts";

// Cheap parameters keep most cases fast; the defaults are exercised explicitly.
const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

describe("password hasher (argon2id in workers)", () => {
  const hasher = createPasswordHasher({ ...FAST, poolSize: 2 });
  afterAll(() => hasher.close());

  it("hashes with the default parameters to a PHC string and verifies", async () => {
    const h = createPasswordHasher({ poolSize: 1 });
    try {
      const phc = await h.hash("correct horse battery staple");
      expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      expect(await h.verify(phc, "correct horse battery staple")).toBe(true);
      expect(await h.verify(phc, "correct horse battery stapler")).toBe(false);
      expect(h.needsRehash(phc)).toBe(false);
    } finally {
      await h.close();
    }
  });

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, "same password")).toBe(true);
    expect(await hasher.verify(b, "same password")).toBe(true);
  });

  it("rejects wrong passwords, including case and whitespace changes", async () => {
    const phc = await hasher.hash("Tr0ub4dor&3 horse");
    for (const wrong of ["tr0ub4dor&3 horse", "Tr0ub4dor&3 horse ", "", "Tr0ub4dor&3"]) {
      expect(await hasher.verify(phc, wrong)).toBe(false);
    }
  });

  it("normalises Unicode (NFKC) so composed and decomposed forms match", async () => {
    const phc = await hasher.hash("caf\u00e9 au lait!");
    expect(await hasher.verify(phc, "cafe\u0301 au lait!")).toBe(true);
  });

  it("returns false (never throws) for malformed or hostile PHC strings", async () => {
    const good = await hasher.hash("pw-1234567890");
    const cases = [
      "",
      "garbage",
      "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$",
      good.replace("$argon2id$", "$argon2i$"),
      good.replace("v=19", "v=16"),
      good.replace("m=1024", "m=99999999"), // absurd memory: refused before any work
      good.replace("t=1", "t=0"),
      `${good}$extra`,
      good.slice(0, -5),
    ];
    for (const phc of cases) expect(await hasher.verify(phc, "pw-1234567890")).toBe(false);
    expect(await hasher.verify(null as unknown as string, "x")).toBe(false);
  });

  it("needsRehash when the configured parameters differ from the stored ones", async () => {
    const phc = await hasher.hash("pw-1234567890");
    expect(hasher.needsRehash(phc)).toBe(false);
    const stronger = createPasswordHasher({ ...FAST, memoryKiB: 2048, poolSize: 1 });
    const moreTime = createPasswordHasher({ ...FAST, iterations: 2, poolSize: 1 });
    const wider = createPasswordHasher({ ...FAST, parallelism: 2, poolSize: 1 });
    try {
      expect(stronger.needsRehash(phc)).toBe(true);
      expect(moreTime.needsRehash(phc)).toBe(true);
      expect(wider.needsRehash(phc)).toBe(true);
      // An old hash still verifies under new parameters; the caller rehashes on login.
      expect(await stronger.verify(phc, "pw-1234567890")).toBe(true);
      const upgraded = await stronger.hash("pw-1234567890");
      expect(stronger.needsRehash(upgraded)).toBe(false);
      expect(hasher.needsRehash(upgraded)).toBe(true);
    } finally {
      await Promise.all([stronger.close(), moreTime.close(), wider.close()]);
    }
    expect(hasher.needsRehash("not a phc")).toBe(true);
  });

  it("parses PHC parameters", () => {
    expect(parsePhc(DUMMY_PHC)).toEqual({
      algorithm: "argon2id",
      version: 19,
      memoryKiB: 19456,
      iterations: 2,
      parallelism: 1,
      saltBytes: 16,
      hashBytes: 32,
    });
    expect(parsePhc("$argon2id$v=19$m=19456,t=2,p=1$$")).toBeNull();
  });

  it("verifyAgainstDummy costs a real verification and resolves false", async () => {
    const h = createPasswordHasher({ poolSize: 1 });
    try {
      const phc = await h.hash("known user password");
      // Medians of five, alternating: one verification is tens of milliseconds
      // with the native backend, so a single pair is at the mercy of a busy machine.
      const real: number[] = [];
      const dummy: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await h.verify(phc, "wrong guess");
        real.push(performance.now() - t0);
        const t1 = performance.now();
        expect(await h.verifyAgainstDummy("wrong guess")).toBe(false);
        dummy.push(performance.now() - t1);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
      // Same parameters, same work: within a generous factor either way.
      expect(median(dummy)).toBeGreaterThan(median(real) / 4);
    } finally {
      await h.close();
    }
    // With non-default parameters the dummy is made with those parameters.
    expect(await hasher.verifyAgainstDummy("anything")).toBe(false);
  });

  it("refuses to hash overlong input and does not verify it", async () => {
    const phc = await hasher.hash("pw-1234567890");
    const long = "a".repeat(MAX_PASSWORD_BYTES + 1);
    await expect(hasher.hash(long)).rejects.toThrow(RangeError);
    expect(await hasher.verify(phc, long)).toBe(false);
  });

  it("runs hashes in parallel workers, queueing past the pool size", async () => {
    const h = createPasswordHasher({ ...FAST, poolSize: 2 });
    try {
      const pending = [1, 2, 3, 4].map((i) => h.hash(`pw-${i}-abcdefgh`));
      expect(h.stats()).toMatchObject({ size: 2, workers: 2, busy: 2, queued: 2 });
      const hashes = await Promise.all(pending);
      expect(new Set(hashes).size).toBe(4);
      expect(h.stats()).toMatchObject({ busy: 0, queued: 0 });
    } finally {
      await h.close();
    }
  });

  it("never blocks the event loop: timers keep ticking during 4 parallel default-cost hashes", async () => {
    const h = createPasswordHasher({ poolSize: 2 });
    try {
      await h.hash("warm up the workers"); // worker start-up is not what we measure
      let ticks = 0;
      let last = performance.now();
      let maxGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
      }, 2);
      const started = performance.now();
      await Promise.all([1, 2, 3, 4].map((i) => h.hash(`parallel-${i}-password`)));
      const elapsed = performance.now() - started;
      clearInterval(timer);
      // On the main thread the four hashes would run back to back with zero ticks.
      // Blocking would give at most one tick between hashes and a gap of a whole hash.
      expect(ticks).toBeGreaterThanOrEqual(Math.max(5, elapsed / 20));
      expect(maxGap).toBeLessThan(elapsed / 2);
    } finally {
      await h.close();
    }
  });

  it("rejects work after close", async () => {
    const h = createPasswordHasher({ ...FAST, poolSize: 1 });
    await h.close();
    await expect(h.hash("pw-1234567890")).rejects.toThrow(/closed/);
  });

  it("validates options", () => {
    expect(() => createPasswordHasher({ poolSize: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ iterations: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ memoryKiB: 4 })).toThrow(RangeError);
  });
});
