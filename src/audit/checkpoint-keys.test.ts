import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { NoteError, parseVerifierKey, verifyNote } from "../../events/ledger/note.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import { type AccessHarness, accessHarness } from "../access/testing.ts";
import { cmdKeysRotateCheckpoint } from "../cli/ledger.ts";
import { createKeyring } from "../crypto/aead.ts";
import { checkpointKeys, resealCheckpointKeys } from "./checkpoint-keys.ts";

const k1 = { id: "k1", key: new Uint8Array(32).map((_, i) => i + 1) };
const k2 = { id: "k2", key: new Uint8Array(32).map((_, i) => 200 - i) };
const clock = { now: () => new Date("2026-01-01T00:00:00Z") };

beforeAll(async () => {
  await (await pgliteDb()).close();
}, 180_000);

describe("checkpoint keys", () => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it("creates one key on first use, sealed with the keyring, and signs with it", async () => {
    db = await pgliteDb();
    const keys = checkpointKeys({ db, keyring: createKeyring([k1], "k1"), name: "vigil.test/ledger", clock });
    const a = await keys.current();
    expect((await keys.current()).keyId).toBe(a.keyId);
    expect(a.verifierKey.startsWith(`vigil.test/ledger+${a.keyId}+`)).toBe(true);
    const [row] = await db.query<{ secret_key_encrypted: string }>(
      "SELECT secret_key_encrypted FROM ledger_keys",
    );
    expect(row!.secret_key_encrypted).toMatch(/^v1\.k1\./);
    const { note, keyId } = await keys.sign("hello\n");
    expect(keyId).toBe(a.keyId);
    expect(verifyNote(note, [parseVerifierKey(a.verifierKey)]).text).toBe("hello\n");
  });

  it("rotates: the new key signs, the old one is retired and still verifies what it signed", async () => {
    db = await pgliteDb();
    const keys = checkpointKeys({ db, keyring: createKeyring([k1], "k1"), name: "vigil.test/ledger", clock });
    const old = await keys.current();
    const before = await keys.sign("before\n");
    const fresh = await keys.rotate();
    expect(fresh.keyId).not.toBe(old.keyId);
    const after = await keys.sign("after\n");
    expect(after.keyId).toBe(fresh.keyId);
    const vOld = parseVerifierKey(old.verifierKey);
    const vNew = parseVerifierKey(fresh.verifierKey);
    expect(verifyNote(before.note, [vOld]).text).toBe("before\n");
    expect(() => verifyNote(after.note, [vOld])).toThrow(NoteError);
    expect(verifyNote(after.note, [vNew]).text).toBe("after\n");
    const list = await keys.list();
    expect(list.map((k) => [k.keyId, k.retiredAt !== null])).toEqual(
      expect.arrayContaining([
        [old.keyId, true],
        [fresh.keyId, false],
      ]),
    );
    // A new origin gets a key of its own name; the other is retired.
    const other = checkpointKeys({
      db,
      keyring: createKeyring([k1], "k1"),
      name: "other.test/ledger",
      clock,
    });
    expect((await other.current()).verifierKey.startsWith("other.test/ledger+")).toBe(true);
    expect((await keys.list()).filter((k) => k.retiredAt === null)).toHaveLength(1);
  });

  it("re-seals under the current ENCRYPTION_KEY so the old key can be dropped", async () => {
    db = await pgliteDb();
    const name = "vigil.test/ledger";
    const first = await checkpointKeys({ db, keyring: createKeyring([k1], "k1"), name, clock }).current();
    const ring = createKeyring([k2, k1], "k2");
    expect(await resealCheckpointKeys(db, ring)).toEqual({ rows: 1, resealed: 1, undecryptable: 0 });
    expect(await resealCheckpointKeys(db, ring)).toEqual({ rows: 1, resealed: 0, undecryptable: 0 });
    const only = checkpointKeys({ db, keyring: createKeyring([k2], "k2"), name, clock });
    const signed = await only.sign("still me\n");
    expect(signed.keyId).toBe(first.keyId);
    expect(verifyNote(signed.note, [parseVerifierKey(first.verifierKey)]).text).toBe("still me\n");
  });
});

describe("keys rotate-checkpoint (CLI)", () => {
  let h: AccessHarness | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it("retires the current key and prints the new verifier key", async () => {
    h = await accessHarness();
    const lines: string[] = [];
    const cli = { authDeps: async () => h!.deps, out: (l: string) => lines.push(l) };
    expect(await cmdKeysRotateCheckpoint(cli)).toBe(0);
    expect(lines[0]).toBe("retired: (none)");
    const first = parseVerifierKey(lines[2]!);
    lines.length = 0;
    expect(await cmdKeysRotateCheckpoint(cli)).toBe(0);
    expect(lines[0]).toBe(`retired: ${first.keyId.toString(16).padStart(8, "0")}`);
    expect(parseVerifierKey(lines[2]!).keyId).not.toBe(first.keyId);
    const res = await h.app.request("/.well-known/vigil-checkpoint-key");
    expect((await res.text()).trim()).toBe(lines[2]);
  });
});
