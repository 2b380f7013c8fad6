import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { leafHash } from "./merkle.ts";
import {
  ed25519KeyId,
  ed25519VerifierKey,
  formatCheckpoint,
  NoteError,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "./note.ts";

// The example of c2sp.org/signed-note, section "Verifier keys".
const SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE =
  "This is an example message.\n\n" +
  "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

describe("C2SP signed note", () => {
  it("verifies the example of the specification", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(key.name).toBe("example.com/foo");
    expect(key.keyId).toBe(0x530d903a);
    const { text, verifiedBy } = verifyNote(SPEC_NOTE, [key]);
    expect(text).toBe("This is an example message.\n");
    expect(verifiedBy).toEqual([key]);
    // Our encoder rebuilds the same verifier key from the raw public key.
    expect(ed25519VerifierKey(key.name, key.publicKey)).toBe(SPEC_VKEY);
  });

  it("rejects the example once one character of its text changes", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(() => verifyNote(SPEC_NOTE.replace("example", "exampel"), [key])).toThrow(/does not verify/);
  });

  it("signs, parses and verifies its own notes; ignores unknown keys; needs one known", () => {
    const a = { name: "vigil.example/log", secretKey: ed25519.utils.randomSecretKey() };
    const b = { name: "witness.example", secretKey: ed25519.utils.randomSecretKey() };
    const note = signNote("hello\n\nworld\n", [a, b]);
    const va = parseVerifierKey(ed25519VerifierKey(a.name, ed25519.getPublicKey(a.secretKey)));
    const vb = parseVerifierKey(ed25519VerifierKey(b.name, ed25519.getPublicKey(b.secretKey)));
    expect(parseNote(note).text).toBe("hello\n\nworld\n");
    expect(parseNote(note).signatures.map((s) => s.name)).toEqual([a.name, b.name]);
    expect(verifyNote(note, [va]).verifiedBy).toEqual([va]);
    expect(verifyNote(note, [va, vb]).verifiedBy).toEqual([va, vb]);
    const stranger = parseVerifierKey(ed25519VerifierKey("x.example", ed25519.getPublicKey(b.secretKey)));
    expect(() => verifyNote(note, [stranger])).toThrow(/not signed by any trusted key/);
    // Same name and id as a known key but another key: a forged signature.
    const forged = signNote("hello\n\nworld\n", [{ name: a.name, secretKey: b.secretKey }]);
    const forgedId = parseNote(forged).signatures[0]!.keyId;
    expect(forgedId).not.toBe(va.keyId);
    expect(() => verifyNote(forged, [va])).toThrow(NoteError);
  });

  it("refuses malformed notes and keys", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    for (const bad of [
      "",
      "no newline",
      "text\n",
      "text\n\nsignature without dash\n",
      "text\n\n\u2014 name !!!\n",
      "text\n\n\u2014 name AAAA\n",
      "te\u0001xt\n\n\u2014 example.com/foo AAAAAAAA\n",
      SPEC_NOTE.slice(0, -1),
    ]) {
      expect(() => verifyNote(bad, [key]), JSON.stringify(bad)).toThrow(NoteError);
    }
    for (const bad of [
      "",
      "a+b",
      "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
      "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
      "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
      "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ]) {
      expect(() => parseVerifierKey(bad), bad).toThrow(NoteError);
    }
    expect(() => signNote("no final newline", [])).toThrow(NoteError);
  });

  it("key id is the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(ed25519KeyId(key.name, key.publicKey)).toBe(0x530d903a);
  });
});

describe("C2SP tlog checkpoint", () => {
  const root = leafHash(new Uint8Array([1, 2, 3]));

  it("formats origin, size and base64 root on three lines and parses them back", () => {
    const text = formatCheckpoint({ origin: "vigil.example/ledger", size: 20852163, rootHash: root });
    const lines = text.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe("vigil.example/ledger");
    expect(lines[1]).toBe("20852163");
    expect(lines[3]).toBe("");
    const back = parseCheckpoint(text);
    expect(back.size).toBe(20852163);
    expect(back.rootHash).toEqual(root);
  });

  it("opens a signed checkpoint and checks its origin", () => {
    const signer = { name: "vigil.example/ledger", secretKey: ed25519.utils.randomSecretKey() };
    const vkey = parseVerifierKey(ed25519VerifierKey(signer.name, ed25519.getPublicKey(signer.secretKey)));
    const note = signNote(formatCheckpoint({ origin: signer.name, size: 0, rootHash: root }), [signer]);
    expect(openCheckpoint(note, [vkey], signer.name).size).toBe(0);
    expect(() => openCheckpoint(note, [vkey], "other.example/log")).toThrow(/origin/);
    const tampered = note.replace("\n0\n", "\n1\n");
    expect(() => openCheckpoint(tampered, [vkey])).toThrow(/does not verify/);
  });

  it("refuses malformed checkpoint bodies", () => {
    for (const bad of [
      "a\n1\n",
      "\n1\nAAAA\n",
      "a\n01\nAAAA\n",
      "a\n-1\nAAAA\n",
      "a\n1\nAAAA\n",
      "a\n1e3\nAAAA\n",
    ]) {
      expect(() => parseCheckpoint(bad), JSON.stringify(bad)).toThrow(NoteError);
    }
    expect(() => formatCheckpoint({ origin: "a", size: -1, rootHash: root })).toThrow(NoteError);
  });
});
