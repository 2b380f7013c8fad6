/**
 * The audit API over the real app (PGlite; real Postgres too with
 * TEST_DATABASE_URL): auditors and admins read checkpoints, proofs, events and
 * stream history; the proofs it serves verify with the ledger's own verifier
 * functions against a checkpoint verified with the published key.
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency, verifyInclusion } from "../../events/ledger/merkle.ts";
import { openCheckpoint, parseVerifierKey } from "../../events/ledger/note.ts";
import { createSequencer } from "../../events/ledger/sequencer.ts";
import { dbCases, settle } from "../../test/helpers/db.ts";
import { ROUTE_TABLE } from "../access/route-table.ts";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../access/testing.ts";
import { checkpointKeysFor } from "./feature.ts";

const h2b = (s: string) => hexToBytes(s);

for (const c of dbCases()) {
  describe(`audit API (${c.name})`, () => {
    let h: AccessHarness;
    let auditor: TestUser;
    let admin: TestUser;
    let plain: TestUser;
    let origin: string;

    /** Sequences everything committed and signs a checkpoint of it. */
    async function sequence() {
      const keys = checkpointKeysFor(h.deps);
      const seq = createSequencer({ db: h.db, origin, sign: (t) => keys.sign(t), batchSize: 13 });
      await settle(h.db);
      while ((await seq.step()) > 0);
      await seq.checkpointIfDue(true);
    }

    beforeAll(async () => {
      h = await accessHarness({ db: await c.make(), env: { ADMIN_REQUIRE_MFA: "false" } });
      origin = h.deps.config.ledger.origin;
      auditor = await userWithRoles(h, "auditor@example.com", ["auditor"]);
      admin = await userWithRoles(h, "admin@example.com", ["admin"]);
      plain = await userWithRoles(h, "plain@example.com", ["user"]);
      await sequence();
    }, 180_000);
    afterAll(async () => {
      await h?.close();
    });

    const get = (path: string, who: TestUser = auditor) =>
      h.api.call("GET", path, undefined, h.api.bearer(who.token));

    async function verifierKey() {
      const res = await h.app.request("/.well-known/vigil-checkpoint-key");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      return parseVerifierKey(await res.text());
    }

    it("publishes the checkpoint key and signs checkpoints a client verifies with it", async () => {
      const vkey = await verifierKey();
      expect(vkey.name).toBe(origin);
      const res = await get("/v1/audit/checkpoints/latest");
      expect(res.status).toBe(200);
      const cp = openCheckpoint(res.body!.note, [vkey], origin);
      expect(cp.size).toBe(res.body!.treeSize);
      expect(cp.size).toBeGreaterThan(5);
      expect(Buffer.from(cp.rootHash).toString("hex")).toBe(res.body!.rootHash);
      const bySize = await get(`/v1/audit/checkpoints?size=${cp.size}`);
      expect(bySize.body!.checkpoints[0].note).toBe(res.body!.note);
      const keys = await get("/v1/audit/checkpoint-keys");
      expect(keys.body!.keys[0].verifierKey).toBe(
        `${vkey.name}+${vkey.keyId.toString(16).padStart(8, "0")}+${Buffer.from([1, ...vkey.publicKey]).toString("base64")}`,
      );
    });

    it("serves inclusion proofs for every event that verify against the signed root", async () => {
      const vkey = await verifierKey();
      const latest = await get("/v1/audit/checkpoints/latest");
      const cp = openCheckpoint(latest.body!.note, [vkey], origin);
      const page = await get(`/v1/audit/events?limit=1000`);
      expect(page.status).toBe(200);
      const events = page.body!.events as { eventId: string; position: number; leafHash: string }[];
      expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i));
      for (const e of events.slice(0, cp.size)) {
        const res = await get(`/v1/audit/proofs/inclusion?event=${e.eventId}&size=${cp.size}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body!.leafIndex).toBe(e.position);
        expect(res.body!.leafHash).toBe(e.leafHash);
        const path = (res.body!.auditPath as string[]).map(h2b);
        expect(verifyInclusion(h2b(e.leafHash), e.position, cp.size, path, cp.rootHash)).toBe(true);
        expect(res.body!.checkpoint.note).toBe(latest.body!.note);
      }
    });

    it("serves consistency proofs between an old and a new checkpoint", async () => {
      const vkey = await verifierKey();
      const old = openCheckpoint((await get("/v1/audit/checkpoints/latest")).body!.note, [vkey], origin);
      // More history, then a new checkpoint.
      await userWithRoles(h, "later@example.com", ["user"]);
      await sequence();
      const now = openCheckpoint((await get("/v1/audit/checkpoints/latest")).body!.note, [vkey], origin);
      expect(now.size).toBeGreaterThan(old.size);
      const res = await get(`/v1/audit/proofs/consistency?from=${old.size}&to=${now.size}`);
      expect(res.status).toBe(200);
      const proof = (res.body!.proof as string[]).map(h2b);
      expect(verifyConsistency(old.size, now.size, proof, old.rootHash, now.rootHash)).toBe(true);
      expect(verifyConsistency(old.size, now.size, proof, now.rootHash, now.rootHash)).toBe(false);
      expect(res.body!.checkpoints.from.treeSize).toBe(old.size);
      const list = await get("/v1/audit/checkpoints?limit=1");
      expect(list.body!.checkpoints).toHaveLength(1);
      expect(list.body!.nextBefore).toBe(now.size);
    });

    it("shows a stream's history with its hash chain, and its state at a position", async () => {
      const stream = `user-${plain.userId}`;
      const res = await get(`/v1/audit/streams/${stream}`);
      expect(res.status).toBe(200);
      expect(res.body!.chainValid).toBe(true);
      const events = res.body!.events as {
        type: string;
        position: number;
        prevHash: string;
        hash: string;
        data: Record<string, unknown>;
      }[];
      expect(events[0]!.type).toBe("UserRegistered");
      expect(events[0]!.data.passwordHash).toBe("[redacted]");
      for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
      // Before the registration: the stream did not exist; at it: registered, plain user.
      const first = events[0]!.position;
      const before = await get(`/v1/audit/streams/${stream}/state?at=${first - 1}`);
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ version: 0, state: { exists: false } });
      const at = await get(`/v1/audit/streams/${stream}/state?at=${first}`);
      expect(at.body).toMatchObject({
        version: 1,
        state: { exists: true, email: "plain@example.com", status: "active" },
      });
      const last = events.at(-1)!.position;
      const now = await get(`/v1/audit/streams/${stream}/state?at=${last}`);
      expect(now.body!.version).toBe(events.length);
      expect(now.body!.state.roles).toEqual(["user"]);
    });

    it("filters ledger events by type and stream, and pages by position", async () => {
      const byType = await get("/v1/audit/events?type=UserRegistered");
      expect(byType.body!.events.every((e: { type: string }) => e.type === "UserRegistered")).toBe(true);
      expect(byType.body!.events.length).toBeGreaterThanOrEqual(3);
      const byStream = await get(`/v1/audit/events?stream=user-${auditor.userId}`);
      expect(
        byStream.body!.events.every((e: { streamId: string }) => e.streamId === `user-${auditor.userId}`),
      ).toBe(true);
      const one = await get("/v1/audit/events?limit=1");
      const two = await get(`/v1/audit/events?limit=1&after=${one.body!.nextAfter}`);
      expect(two.body!.events[0].position).toBe(one.body!.events[0].position + 1);
    });

    it("documents every audit endpoint in /openapi.json", async () => {
      const doc = (await h.api.call("GET", "/openapi.json")).body!;
      // Exports (src/audit/exports) are another feature, documented and tested with it.
      const paths = ROUTE_TABLE.filter(
        ([, p]) => p.startsWith("/v1/audit/") && !p.startsWith("/v1/audit/exports"),
      ).map(([, p]) => p);
      expect(paths.length).toBe(8);
      for (const path of [...paths, "/.well-known/vigil-checkpoint-key"])
        expect(doc.paths[path], path).toBeDefined();
    });

    it("admins may read it; other roles get 403 and strangers 401", async () => {
      expect((await get("/v1/audit/checkpoints/latest", admin)).status).toBe(200);
      const refused = await get("/v1/audit/checkpoints/latest", plain);
      expect(refused.status).toBe(403);
      expect(refused.body!.code).toBe("forbidden");
      const anon = await h.api.call("GET", "/v1/audit/events");
      expect(anon.status).toBe(401);
    });

    it("answers hostile and impossible requests with problem+json and a stable code", async () => {
      const cases: [string, number, string][] = [
        ["/v1/audit/proofs/inclusion?event=not-a-uuid&size=1", 400, "validation_failed"],
        ["/v1/audit/proofs/inclusion?event=00000000-0000-4000-8000-000000000000&size=1", 404, "not_found"],
        [
          `/v1/audit/proofs/inclusion?event=00000000-0000-4000-8000-000000000000&size=-1`,
          400,
          "validation_failed",
        ],
        ["/v1/audit/proofs/consistency?from=5&to=99999999999", 422, "unprocessable"],
        ["/v1/audit/proofs/consistency?from=6&to=5", 422, "unprocessable"],
        ["/v1/audit/proofs/consistency?from=1e3&to=5", 400, "validation_failed"],
        ["/v1/audit/proofs/consistency?from=99999999999999999999", 400, "validation_failed"],
        ["/v1/audit/proofs/consistency?from=0x10", 400, "validation_failed"],
        ["/v1/audit/checkpoints?size=123456789", 404, "not_found"],
        ["/v1/audit/checkpoints?limit=0", 400, "validation_failed"],
        ["/v1/audit/events?after=abc", 400, "validation_failed"],
        ["/v1/audit/events?type=Bad;DROP", 400, "validation_failed"],
        ["/v1/audit/events?stream=%27%20OR%201=1", 400, "validation_failed"],
        ["/v1/audit/streams/nobody-here", 404, "not_found"],
        ["/v1/audit/streams/%00evil", 400, "validation_failed"],
        ["/v1/audit/streams/apikey-x/state?at=0", 422, "unprocessable"],
        ["/v1/audit/streams/user-nobody/state?at=99999999", 404, "not_found"],
        ["/v1/audit/streams/user-nobody/state?at=0", 404, "not_found"],
        ["/v1/audit/streams/user-x/state", 400, "validation_failed"],
      ];
      for (const [path, status, code] of cases) {
        const res = await get(path);
        expect(res.status, path).toBe(status);
        expect(res.headers.get("content-type"), path).toMatch(/application\/problem\+json/);
        expect(res.body!.code, path).toBe(code);
      }
      const ev = (await get("/v1/audit/events?limit=1")).body!.events[0];
      const beyond = await get(`/v1/audit/proofs/inclusion?event=${ev.eventId}&size=${10 ** 12}`);
      expect(beyond.status).toBe(422);
      const tooSmall = await get(`/v1/audit/proofs/inclusion?event=${ev.eventId}&size=0`);
      expect(tooSmall.status).toBe(422);
    });
  });
}
