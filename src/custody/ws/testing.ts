/**
 * Test support for the custody socket: whole Vigil instances listening on
 * 127.0.0.1 port 0 with the WebSocket attached, a `ws` client that collects
 * frames, and users registered and logged in over HTTP. Not imported by runtime code.
 */
import type { AddressInfo } from "node:net";
import type { FrostPublic, FrostSecret } from "@noble/curves/abstract/frost.js";
import { ed25519_FROST, x25519 } from "@noble/curves/ed25519.js";
import WebSocket from "ws";
import { createPostgresDb, type Db } from "../../../db/client.ts";
import type { EventMetadata } from "../../../events/types.ts";
import { systemMeta } from "../../../test/fixtures/events.ts";
import { postgresDb, TEST_DATABASE_URL } from "../../../test/helpers/db.ts";
import { type App, type AppDeps, createApp } from "../../app.ts";
import { requireAuthDeps } from "../../auth/deps.ts";
import { features } from "../../features.ts";
import { buildRuntime, type Runtime } from "../../runtime.ts";
import { createVault, importKey, inviteGuardian, redeemInvitation } from "../commands.ts";
import { loadVault } from "../context.ts";
import { toHex } from "../hex.ts";
import type { Call } from "../testing.ts";
import { vaultStream } from "../vault.ts";
import { type CustodySocketOptions, custodySockets } from "./extension.ts";
import { nodeWebSocket, serveWithWebSocket } from "./node.ts";
import { SUBPROTOCOL } from "./protocol.ts";

export const PASSWORD = "plum harbour velvet 42";

export interface Instance {
  rt: Runtime;
  app: App;
  /** ws://127.0.0.1:<port>/v1/custody/ws */
  wsUrl: string;
  httpUrl: string;
  close(): Promise<void>;
}

export async function startInstance(
  db: Db,
  env: Record<string, string>,
  opts: CustodySocketOptions = {},
): Promise<Instance> {
  const rt = await buildRuntime(
    // Admins here have no second factor; two-factor itself is tested by the access matrix.
    { NODE_ENV: "test", RATE_LIMITS_ENABLED: "false", ADMIN_REQUIRE_MFA: "false", ...env },
    { db, skipMigrate: true, extensions: [custodySockets({ pollMs: 200, ...opts })] },
  );
  const ws = nodeWebSocket(rt.config);
  rt.deps.upgradeWebSocket = ws.upgrade;
  const app = createApp(rt.deps, features);
  const server = await new Promise<ReturnType<typeof serveWithWebSocket>>((resolve) => {
    const s = serveWithWebSocket(app, ws, { port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    rt,
    app,
    wsUrl: `ws://127.0.0.1:${port}/v1/custody/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async close() {
      rt.deps.custodySocket?.shutdown();
      await new Promise((r) => server.close(r));
      await rt.close();
    },
  };
}

/** Two handles on one fresh schema: what two instances sharing a database see. */
export async function sharedPostgres(): Promise<{ a: Db; b: Db; close(): Promise<void> }> {
  const a = await postgresDb();
  const [row] = await a.query<{ schema: string }>("SELECT current_schema() AS schema");
  const b = createPostgresDb({ url: TEST_DATABASE_URL!, schema: row!.schema });
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
    },
  };
}

export interface LoggedIn {
  userId: string;
  sessionId: string;
  accessToken: string;
}

export async function registerAndLogin(app: App, email: string): Promise<LoggedIn> {
  const json = { "content-type": "application/json" };
  const reg = await app.request("/v1/auth/register", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD, displayName: email.split("@")[0] }),
  });
  if (reg.status !== 201) throw new Error(`register ${email}: ${reg.status} ${await reg.text()}`);
  const res = await app.request("/v1/auth/login", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = (await res.json()) as { accessToken: string; sessionId: string };
  const me = await app.request("/v1/auth/me", { headers: { Authorization: `Bearer ${body.accessToken}` } });
  const { id } = (await me.json()) as { id: string };
  return { userId: id, sessionId: body.sessionId, accessToken: body.accessToken };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read frames freely.
export type Frame = Record<string, any>;

/** A `ws` client that keeps every frame, and waits for the ones a test expects. */
export class Client {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(
    url: string,
    opts: { protocols?: string[]; autoPong?: boolean } = {},
    readonly ws = new WebSocket(url, opts.protocols ?? [], { autoPong: opts.autoPong ?? true }),
  ) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
    });
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        resolve({ code, reason: String(reason) });
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  /** Connects and authenticates with an `auth` message; resolves with the `ready` frame. */
  static async connect(url: string, token: string): Promise<Client> {
    const c = new Client(url, { protocols: [SUBPROTOCOL] });
    await c.opened;
    c.send({ type: "auth", token });
    // A refused token closes the socket with no frame: the caller reads `closed`.
    await Promise.race([c.next((f) => f.type === "ready" || f.type === "error").catch(() => {}), c.closed]);
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or coming) that matches, within `timeoutMs`. */
  async next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(match);
      if (hit) return hit;
      if (Date.now() > deadline || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(
          `no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 2000)}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends a request with an id and waits for its answer (result or error). */
  async request(frame: Frame, timeoutMs = 10_000): Promise<Frame> {
    const id = crypto.randomUUID();
    this.send({ ...frame, id });
    return this.next((f) => f.id === id && (f.type === "result" || f.type === "error"), timeoutMs);
  }

  events(name?: string): Frame[] {
    return this.frames.filter((f) => f.type === "event" && (name === undefined || f.event === name));
  }

  close(): void {
    this.ws.close();
  }
}

const adminCaller = { userId: "0195a000-0000-7000-9000-0000000000ad", roles: ["admin"] };

/** The shared fixture's metadata, acting as `actor`. */
export const metaAs = (actor: string): EventMetadata => ({ ...systemMeta, actor });

export interface TestVault {
  vaultId: string;
  pub: FrostPublic;
  /** Each guardian's FROST identifier and secret share (held client-side only). */
  guardians: Map<string, { identifier: string; secret: FrostSecret }>;
}

/**
 * An active Ed25519 vault (t of n) guarded by `members`: created, invitations
 * redeemed with the emailed code, and a trusted dealer's public package
 * imported. The shares stay here, on the "client side".
 */
export async function activeVault(
  deps: AppDeps,
  members: readonly LoggedIn[],
  threshold = 2,
): Promise<TestVault> {
  const d = requireAuthDeps(deps);
  const meta = metaAs(`user:${adminCaller.userId}`);
  const created = await createVault(
    d,
    adminCaller,
    { name: "Treasury", ciphersuite: "ed25519", threshold, participants: members.length },
    meta,
  );
  const vaultId = created.vaultId;
  for (const m of members) {
    await inviteGuardian(d, adminCaller, vaultId, { email: `g-${m.userId}@example.com` }, meta);
    const invited = (await d.store.readStream(vaultStream(vaultId)))
      .filter((e) => e.type === "GuardianInvited")
      .at(-1)!;
    const code = await d.auth.links.derive("custody_invitation", invited.eventId);
    const transportPublicKey = toHex(x25519.getPublicKey(x25519.utils.randomSecretKey()));
    await redeemInvitation(
      d,
      { userId: m.userId, roles: ["user"] },
      { code, transportPublicKey },
      metaAs(`user:${m.userId}`),
    );
  }
  const v = await loadVault(d, vaultId);
  const ids = v.guardians.map((g) => g.identifier);
  const dealt = ed25519_FROST.trustedDealer({ min: threshold, max: members.length }, ids);
  await importKey(
    d,
    adminCaller,
    vaultId,
    {
      commitments: dealt.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(dealt.public.verifyingShares).map(([k, b]) => [k, toHex(b)]),
      ),
    },
    meta,
  );
  const guardians = new Map(
    v.guardians.map((g) => [
      g.userId,
      { identifier: g.identifier, secret: dealt.secretShares[g.identifier]! },
    ]),
  );
  return { vaultId, pub: dealt.public, guardians };
}

/**
 * custody's test `Call` (src/custody/testing.ts) carried over a socket: the
 * REST paths a guardian client uses become socket commands, so the same
 * client code runs the DKG and signs over the WebSocket. Other paths (redeeming
 * an invitation) go to `fallback`, over REST.
 */
export function socketCall(client: Client, fallback: Call): Call {
  const routes: [string, RegExp, (m: RegExpExecArray, body: unknown) => Frame][] = [
    [
      "POST",
      /^\/v1\/custody\/vaults\/([^/]+)\/dkg\/([123])$/,
      (m, b) => ({ type: `dkg_round${m[2]}`, vaultId: m[1], ...(b as Frame) }),
    ],
    ["GET", /^\/v1\/custody\/vaults\/([^/]+)\/dkg$/, (m) => ({ type: "get_dkg", vaultId: m[1] })],
    [
      "POST",
      /^\/v1\/custody\/transactions\/([^/]+)\/commitments$/,
      (m, b) => ({ type: "submit_commitment", transactionId: m[1], ...(b as Frame) }),
    ],
    [
      "POST",
      /^\/v1\/custody\/transactions\/([^/]+)\/shares$/,
      (m, b) => ({ type: "submit_share", transactionId: m[1], ...(b as Frame) }),
    ],
    [
      "GET",
      /^\/v1\/custody\/transactions\/([^/]+)$/,
      (m) => ({ type: "get_transaction", transactionId: m[1] }),
    ],
  ];
  return async (method, path, body) => {
    for (const [verb, re, frame] of routes) {
      const m = verb === method ? re.exec(path) : null;
      if (!m) continue;
      const answer = await client.request(frame(m, body));
      return answer.type === "result"
        ? { status: 200, body: answer.result }
        : { status: answer.status ?? 400, body: answer };
    }
    return fallback(method, path, body);
  };
}
