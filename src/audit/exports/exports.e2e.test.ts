/**
 * Compliance exports end to end, over a real HTTP socket: the runtime with its
 * background workers (the dispatcher turns the request into an `audit.export`
 * job on the queue: in-process on the embedded default, BullMQ on Redis with
 * Postgres when TEST_DATABASE_URL and TEST_REDIS_URL are set), the ledger's
 * sequencer (run by the runtime) signing checkpoints, the bundle downloaded and verified offline,
 * by the verifier and by the `vigil-verify` program itself.
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { serve } from "@hono/node-server";
import { afterEach, describe, expect, it } from "vitest";
import { uuidv7 } from "../../../events/ids.ts";
import { systemMeta } from "../../../test/fixtures/events.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../../test/helpers/runtime.ts";
import { verifyBundle } from "../../../verifier/verify.ts";
import { createApp } from "../../app.ts";
import { features } from "../../features.ts";
import { PASSWORD } from "../../identity/testing.ts";
import { userStream } from "../../identity/user.ts";

const run = promisify(execFile);

describe.each(runtimeCases())("compliance export end to end on $name", (rc) => {
  let live: LiveRuntime | undefined;
  let stop: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await stop?.();
    await live?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    live = stop = dir = undefined;
  });

  it("request, job with progress, download, offline verification; events carry the actor; hostile input refused", async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-export-e2e-"));
    // The runtime runs the ledger's sequencer with the other background work.
    live = await startLiveRuntime(rc, {
      EXPORT_DIR: dir,
      ADMIN_REQUIRE_MFA: "false",
      CHECKPOINT_INTERVAL_MS: "50",
    });
    const { deps } = live.rt;
    let listening: (port: number) => void = () => {};
    const port = new Promise<number>((r) => {
      listening = r;
    });
    const app = createApp(deps, features);
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) =>
      listening(info.port),
    );
    stop = () => new Promise<void>((r) => server.close(() => r()));
    const base = `http://127.0.0.1:${await port}`;
    const call = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res;
    };
    const account = async (email: string, roles: string[]) => {
      const userId = uuidv7();
      const passwordHash = await deps.auth!.passwords.hash(PASSWORD);
      await deps.store.append(
        userStream(userId),
        "no_stream",
        [{ type: "UserRegistered", data: { userId, email, displayName: null, roles, passwordHash } }],
        systemMeta,
      );
      const res = await call("POST", "/v1/auth/login", undefined, { email, password: PASSWORD });
      expect(res.status).toBe(200);
      return { userId, token: ((await res.json()) as { accessToken: string }).accessToken };
    };
    const auditor = await account("auditor@example.com", ["auditor"]);
    const plain = await account("plain@example.com", ["user"]);
    for (let i = 0; i < 5; i++) {
      await call("POST", "/v1/auth/login", undefined, {
        email: "plain@example.com",
        password: "wrong-wrong-wrong",
      });
    }

    // Wait until a signed checkpoint covers everything so far.
    const [{ n }] = (await deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events")) as [
      { n: number },
    ];
    let size = 0;
    for (const until = Date.now() + 20_000; size < n && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 25));
      size = (await rowsLatest(deps.db)) ?? 0;
    }
    expect(size).toBeGreaterThanOrEqual(n);

    const doc = (await (await call("GET", "/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const path of ["/v1/audit/exports", "/v1/audit/exports/{id}", "/v1/audit/exports/{id}/bundle"]) {
      expect(doc.paths[path], path).toBeDefined();
    }

    // Hostile and premature requests: nothing is written for them.
    expect((await call("POST", "/v1/audit/exports", plain.token, { from: 0, to: size })).status).toBe(403);
    expect((await call("POST", "/v1/audit/exports", undefined, { from: 0, to: size })).status).toBe(401);
    const refusals = [
      [{ from: -1, to: size }, 400, "validation_failed"],
      [{ from: 0, to: size, format: "xml" }, 400, "validation_failed"],
      [{ from: 0, to: size, types: ["NoSuchEvent"] }, 400, "validation_failed"],
      [{ from: "yesterday", to: size }, 400, "validation_failed"],
      [{ from: 5, to: 5 }, 422, "unprocessable"],
      [{ from: 0, to: size + 1_000_000 }, 422, "unprocessable"],
    ] as const;
    for (const [body, status, code] of refusals) {
      const res = await call("POST", "/v1/audit/exports", auditor.token, body);
      expect([
        res.status,
        res.headers.get("content-type"),
        ((await res.json()) as { code: string }).code,
      ]).toEqual([status, "application/problem+json", code]);
    }

    const created = await call("POST", "/v1/audit/exports", auditor.token, {
      from: 0,
      to: size,
      format: "ndjson",
    });
    expect(created.status).toBe(202);
    const job = (await created.json()) as {
      id: string;
      status: string;
      links: { self: string; bundle: string };
    };
    expect(created.headers.get("location")).toBe(job.links.self);
    expect(job.status).toMatch(/queued|running/);

    let status = job.status;
    let body: Record<string, unknown> = {};
    for (
      const until = Date.now() + 30_000;
      status !== "completed" && status !== "failed" && Date.now() < until;
    ) {
      await new Promise((r) => setTimeout(r, 50));
      body = (await (await call("GET", job.links.self, auditor.token)).json()) as Record<string, unknown>;
      status = body.status as string;
    }
    expect(body).toMatchObject({
      status: "completed",
      progress: { done: size, total: size, percent: 100 },
      events: size,
      checkpoint: expect.any(Number),
      proof: "range",
      requestedBy: `user:${auditor.userId}`,
    });
    expect((await call("GET", job.links.bundle, plain.token)).status).toBe(403);
    expect((await call("GET", `/v1/audit/exports/${uuidv7()}`, auditor.token)).status).toBe(404);

    const download = await call("GET", job.links.bundle, auditor.token);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/x-tar");
    const tar = new Uint8Array(await download.arrayBuffer());
    const file = join(dir, "downloaded.tar");
    await writeFile(file, tar);
    // The auditor pins the key Vigil publishes.
    const key = (await (await call("GET", "/.well-known/vigil-checkpoint-key")).text()).trim();
    const verdict = await verifyBundle(createReadStream(file), { keys: [key] });
    expect(verdict).toMatchObject({ ok: true, events: size });

    // The program auditors run, as they run it (Node, no tsx on the command line).
    const ok = await run(process.execPath, ["bin/vigil-verify.mjs", file, "--key", key]);
    expect(ok.stdout).toMatch(new RegExp(`^OK: ${size} events at ledger positions \\[0, ${size}\\)`));
    tar[Buffer.from(tar).indexOf('{"position":0,') + 40]! ^= 1; // one byte of the first event
    await writeFile(file, tar);
    const bad = await run(process.execPath, ["bin/vigil-verify.mjs", file, "--key", key]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL /);

    const trail = (await deps.store.readStream(`export-${job.id}`)).map((e) => [e.type, e.metadata.actor]);
    expect(trail).toEqual([
      ["AuditExportRequested", `user:${auditor.userId}`],
      ["AuditExportCompleted", "system:exports"],
      ["AuditExportDownloaded", `user:${auditor.userId}`],
    ]);
    expect(
      ((await (await call("GET", job.links.self, auditor.token)).json()) as { downloads: number }).downloads,
    ).toBe(1);
  }, 300_000);
});

async function rowsLatest(db: LiveRuntime["rt"]["deps"]["db"]): Promise<number | null> {
  const [row] = await db.query<{ size: number | null }>(
    "SELECT max(tree_size) AS size FROM ledger_checkpoints",
  );
  return row?.size === null || row?.size === undefined ? null : Number(row.size);
}
