/**
 * A sequencer in a process of its own, for the tests that SIGKILL it mid-batch
 * (events/ledger/sequencer.int.test.ts). Env: DATABASE_URL, DB_SCHEMA,
 * SEQUENCER_BATCH. Signs with a throwaway key: the test checks positions and
 * the tree, not the signer.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { createPostgresDb } from "../../../db/client.ts";
import { signNote } from "../note.ts";
import { runSequencer } from "../sequencer.ts";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");
const db = createPostgresDb({ url, schema: process.env.DB_SCHEMA, max: 3 });
const secretKey = ed25519.utils.randomSecretKey();
const running = runSequencer({
  db,
  origin: "test.example/ledger",
  sign: async (text) => ({
    note: signNote(text, [{ name: "test.example/ledger", secretKey }]),
    keyId: "test",
  }),
  batchSize: Number(process.env.SEQUENCER_BATCH ?? 50),
  pollMs: 10,
  onError: (err) => console.error((err as Error).message),
});
console.log("sequencer running");
process.on("SIGTERM", () => {
  void running.stop().then(() => db.close().then(() => process.exit(0)));
});
