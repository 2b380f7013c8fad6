/**
 * `npm run cli -- export` on PGlite: the request and the download are events
 * by `system:cli`, progress is printed as plain lines when not on a terminal
 * (a redrawn bar on one), and the bundle it writes verifies offline.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSequencer } from "../../events/ledger/sequencer.ts";
import { verifyBundle } from "../../verifier/verify.ts";
import { exportServices } from "../audit/exports/feature.ts";
import { checkpointKeysFor } from "../audit/feature.ts";
import { type IdentityHarness, identityHarness } from "../identity/testing.ts";
import { progressBar } from "./export.ts";
import { runCli } from "./run.ts";

describe("cli export", () => {
  let h: IdentityHarness;
  let dir: string;
  let size: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-cli-export-"));
    h = await identityHarness({ env: { EXPORT_DIR: dir } });
    for (let i = 0; i < 4; i++) {
      await h.app.request("/v1/auth/register", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: `u${i}@example.com`, password: "plum harbour velvet 42" }),
      });
    }
    const keys = checkpointKeysFor(h.deps);
    const seq = createSequencer({ db: h.db, origin: h.deps.config.ledger.origin, sign: keys.sign });
    while ((await seq.step()) > 0);
    await seq.checkpointIfDue(true);
    size = (await exportServices(h.deps).view.latestCheckpoint())?.size ?? 0;
    // The first PGlite of a worker is migrated once; on a busy machine that alone takes a while.
  }, 240_000);
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], tty = false) => {
    const out: string[] = [];
    const progress: string[] = [];
    const code = await runCli(["export", ...args], {
      db: h.db,
      store: h.deps.store,
      projections: [],
      dataDir: "memory://",
      out: (l) => out.push(l),
      progress: () => {},
      authDeps: async () => h.deps,
      exportProgress: { write: (t) => progress.push(t), tty },
    });
    return { code, out, progress };
  };

  it("exports up to the latest checkpoint, prints progress lines, copies the bundle, records both events", async () => {
    expect(size).toBeGreaterThan(4);
    const file = join(dir, "copy.tar");
    const r = await cli(["--from", "0", "--format", "csv", "--out", file]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(new RegExp(`^export [0-9a-f-]{36}: positions \\[0, ${size}\\), csv$`));
    expect(r.out[1]).toMatch(new RegExp(`^${size} events written to ${dir}/[0-9a-f-]{36}\\.tar$`));
    expect(r.progress.at(-1)).toBe(`${progressBar(size, size)}\n`);
    expect(r.progress.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
    const verdict = await verifyBundle(createReadStream(file), {
      keys: [(await checkpointKeysFor(h.deps).current()).verifierKey],
    });
    expect(verdict).toMatchObject({ ok: true, events: size });
    const types = (await h.events())
      .filter((e) => e.streamId.startsWith("export-"))
      .map((e) => [e.type, e.metadata.actor]);
    expect(types).toEqual([
      ["AuditExportRequested", "system:cli"],
      ["AuditExportCompleted", "system:exports"],
      ["AuditExportDownloaded", "system:cli"],
    ]);
  });

  it("draws a bar on a terminal; refuses bad arguments and ranges beyond the checkpoint", async () => {
    const tty = await cli(["--from", "2", "--to", "5"], true);
    expect(tty.code).toBe(0);
    expect(tty.progress[0]).toMatch(/^\r\[#+-*\] +\d+\.\d% /);
    expect(progressBar(1, 4, 8)).toBe("[##------]  25.0% 1/4 positions");
    expect((await cli([])).code).toBe(2);
    expect((await cli(["--from", "0", "--format", "xml"])).out).toEqual([
      expect.stringMatching(/^--format: /),
    ]);
    const beyond = await cli(["--from", "0", "--to", String(size + 100)]);
    expect(beyond).toMatchObject({
      code: 1,
      out: [expect.stringMatching(/not covered by a signed checkpoint/)],
    });
  });
});
