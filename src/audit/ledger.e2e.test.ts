/**
 * The ledger as the server runs it: the runtime's background work sequences
 * what the store commits, signs checkpoints (at least every second while
 * events arrive), writes each one to the witness directory, and the public key
 * at /.well-known/vigil-checkpoint-key verifies them. On the embedded default
 * and, when CI provides them, on real Postgres and Redis.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { leafHash, rootOfLeaves } from "../../events/ledger/merkle.ts";
import { openCheckpoint, parseVerifierKey } from "../../events/ledger/note.ts";
import { systemMeta as meta } from "../../test/fixtures/events.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";

describe.each(runtimeCases())("the ledger in the running server on $name", (rc) => {
  let live: LiveRuntime | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await live?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("sequences committed events, signs checkpoints and writes them to the witness directory", {
    timeout: 120_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-witness-"));
    live = await startLiveRuntime(rc, { CHECKPOINT_WITNESS_DIR: dir, CHECKPOINT_INTERVAL_MS: "200" });
    const { rt } = live;
    const { store, db } = rt.deps;
    for (let i = 0; i < 5; i++) {
      await store.append(
        "system-verification",
        "any",
        [{ type: "ChainVerified", data: { streams: i, events: i, broken: 0, firstBreak: null } }],
        meta,
      );
    }
    const total = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events"))[0]!.n;
    // The witness file is written just after the checkpoint commits.
    const witnessed = async () => {
      const note = await readFile(join(dir!, "latest.checkpoint"), "utf8").catch(() => "");
      return Number(note.split("\n")[1] ?? -1);
    };
    await expect
      .poll(async () => `${await witnessed()} of ${await total()}`, { timeout: 30_000 })
      .toBe(`${await total()} of ${await total()}`);

    const app = createApp(rt.deps, features);
    const res = await app.request("/.well-known/vigil-checkpoint-key");
    const vkey = parseVerifierKey(await res.text());
    const latest = await readFile(join(dir, "latest.checkpoint"), "utf8");
    const cp = openCheckpoint(latest, [vkey], rt.config.ledger.origin);
    const hashes = await db.query<{ hash: Uint8Array }>("SELECT hash FROM events ORDER BY tx_id, id");
    expect(cp.size).toBe(hashes.length);
    expect(cp.rootHash).toEqual(rootOfLeaves(hashes.map((h) => leafHash(new Uint8Array(h.hash)))));
    const files = (await readdir(dir)).filter((f) => /^\d{16}\.checkpoint$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    expect(files.at(-1)).toBe(`${String(cp.size).padStart(16, "0")}.checkpoint`);
  });
});
