import { describe, expect, it } from "vitest";
import { createKeyring } from "../src/crypto/aead.ts";
import { systemMeta } from "../test/fixtures/events.ts";
import { pgliteDb } from "../test/helpers/db.ts";
import { createCatalog } from "./catalog/index.ts";
import { createPiiCipher, ERASED, isSealed, rewrapSubjectKeys } from "./pii.ts";
import { createEventStore } from "./store.ts";
import { START, type StoredEvent } from "./types.ts";
import { verifyChains } from "./verify.ts";

const ring = (id: string, fill: number) => createKeyring([{ id, key: new Uint8Array(32).fill(fill) }], id);

async function setup() {
  const db = await pgliteDb();
  const pii = createPiiCipher(ring("k1", 1));
  const store = createEventStore({ db, catalog: createCatalog(), pii });
  return { db, pii, store };
}

const userId = () => crypto.randomUUID();
const registered = (id: string, email: string) => ({
  type: "UserRegistered",
  data: {
    userId: id,
    email,
    displayName: null,
    roles: ["user"],
    passwordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
  },
});
const asUser = (id: string) => ({
  ...systemMeta,
  actor: `user:${id}`,
  ip: "198.51.100.7",
  userAgent: "curl/8",
});

describe("personal data in the log", () => {
  it("stores personal fields and the person's IP sealed, and reads them back opened", async () => {
    const { db, store } = await setup();
    const id = userId();
    await store.append(`user-${id}`, "no_stream", [registered(id, "ada@example.com")], asUser(id));
    const [row] = await db.query<{ data: Record<string, unknown>; metadata: Record<string, unknown> }>(
      "SELECT data, metadata FROM events",
    );
    expect(isSealed(row!.data.email)).toBe(true);
    expect(row!.data.displayName).toBeNull();
    expect(isSealed(row!.metadata.ip)).toBe(true);
    expect(isSealed(row!.metadata.userAgent)).toBe(true);
    const [e] = await store.readStream(`user-${id}`);
    expect(e!.data).toMatchObject({ email: "ada@example.com" });
    expect(e!.metadata).toMatchObject({ ip: "198.51.100.7", userAgent: "curl/8" });
    const [asStored] = await store.readLogIn(db, START, { sealed: true });
    expect(isSealed((asStored!.data as { email: string }).email)).toBe(true);
    await db.close();
  });

  it("leaves events about nobody in clear (anonymous and system actors)", async () => {
    const { db, store } = await setup();
    await store.append(
      "login-unknown-a",
      "any",
      [{ type: "LoginFailed", data: { userId: null, emailHash: "a".repeat(64), reason: "unknown_email" } }],
      { ...systemMeta, actor: "anonymous", ip: "203.0.113.9" },
    );
    const [row] = await db.query<{ metadata: Record<string, unknown> }>("SELECT metadata FROM events");
    expect(row!.metadata.ip).toBe("203.0.113.9");
    await db.close();
  });

  it("reads [erased] for an erased subject only, and seals nothing new for them", async () => {
    const { db, store, pii } = await setup();
    const [a, b] = [userId(), userId()];
    await store.append(`user-${a}`, "no_stream", [registered(a, "a@example.com")], asUser(a));
    await store.append(`user-${b}`, "no_stream", [registered(b, "b@example.com")], asUser(b));
    await pii.erase(db, `user-${a}`);
    const events = await store.readAll(START);
    const email = (e: StoredEvent) => (e.data as { email: string }).email;
    expect(events.map(email)).toEqual([ERASED, "b@example.com"]);
    expect(events[0]!.metadata.ip).toBe(ERASED);
    expect(await pii.seal(db, `user-${a}`, "again@example.com")).toBe(ERASED);
    expect((await verifyChains(db)).breaks).toEqual([]);
    await db.close();
  });

  it("binds a sealed value to its subject: moved to another person it does not open", async () => {
    const { db, pii } = await setup();
    const [a, b] = [`user-${userId()}`, `user-${userId()}`];
    const sealedA = await pii.seal(db, a, "secret@example.com");
    await pii.seal(db, b, "x");
    const forged = sealedA.replace(a, b);
    const fake = { data: { email: forged }, metadata: { ...systemMeta } } as unknown as StoredEvent;
    const [opened] = await pii.open(db, [fake]);
    expect((opened!.data as { email: string }).email).toBe(ERASED);
    const [real] = await pii.open(db, [{ ...fake, data: { email: sealedA } }]);
    expect((real!.data as { email: string }).email).toBe("secret@example.com");
    await db.close();
  });

  it("opens events written in clear before sealing existed (schema version 1)", async () => {
    const { db, store } = await setup();
    const plain = createEventStore({ db, catalog: createCatalog() });
    const id = userId();
    await plain.append(`user-${id}`, "no_stream", [registered(id, "old@example.com")], asUser(id));
    // A store without a cipher writes in clear, as Vigil did before sealing existed.
    const [e] = await store.readStream(`user-${id}`);
    expect((e!.data as { email: string }).email).toBe("old@example.com");
    expect(e!.metadata.ip).toBe("198.51.100.7");
    expect(createCatalog().upcast("UserRegistered", 1, { email: "x" })).toEqual({
      version: 2,
      data: { email: "x" },
    });
    await db.close();
  });

  it("re-wraps data keys under a new ENCRYPTION_KEY, and they still open", async () => {
    const db = await pgliteDb();
    const old = createKeyring([{ id: "k1", key: new Uint8Array(32).fill(1) }], "k1");
    const store = createEventStore({ db, catalog: createCatalog(), pii: createPiiCipher(old) });
    const id = userId();
    await store.append(`user-${id}`, "no_stream", [registered(id, "r@example.com")], asUser(id));
    const both = createKeyring(
      [
        { id: "k2", key: new Uint8Array(32).fill(2) },
        { id: "k1", key: new Uint8Array(32).fill(1) },
      ],
      "k2",
    );
    expect(await rewrapSubjectKeys(db, both)).toMatchObject({ rows: 1, rewrapped: 1, undecryptable: 0 });
    const onlyNew = createEventStore({ db, catalog: createCatalog(), pii: createPiiCipher(ring("k2", 2)) });
    const [e] = await onlyNew.readStream(`user-${id}`);
    expect((e!.data as { email: string }).email).toBe("r@example.com");
    await db.close();
  });
});
