/**
 * The custody WebSocket over real sockets, with two Vigil instances sharing
 * real Postgres and Redis (CI sets TEST_DATABASE_URL and TEST_REDIS_URL), as
 * two server processes would: pushes cross instances through the log and
 * Redis pub/sub, revocations close sockets wherever they are, connection slots
 * are counted across instances.
 */
import { ed25519, ed25519_FROST } from "@noble/curves/ed25519.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_DATABASE_URL, TEST_REDIS_URL } from "../../../test/helpers/db.ts";
import { requireAuthDeps } from "../../auth/deps.ts";
import { analyze } from "../../security/threats/analyze.ts";
import { fromHex, toHex } from "../hex.ts";
import { GuardianClient, signedInUser, vaultWithKey } from "../testing.ts";
import { SUBPROTOCOL } from "./protocol.ts";
import {
  activeVault,
  Client,
  type Frame,
  type Instance,
  type LoggedIn,
  registerAndLogin,
  sharedPostgres,
  socketCall,
  startInstance,
  type TestVault,
} from "./testing.ts";

const live = Boolean(TEST_DATABASE_URL && TEST_REDIS_URL);

const rest = (inst: Instance, who: LoggedIn, method: string, path: string, body?: unknown) =>
  inst.app.request(path, {
    method,
    headers: { Authorization: `Bearer ${who.accessToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe.runIf(live)("custody WebSocket across two instances (Postgres + Redis)", () => {
  let dbs: Awaited<ReturnType<typeof sharedPostgres>>;
  let a: Instance;
  let b: Instance;
  let g: LoggedIn[];
  let outsider: LoggedIn[];
  let vault: TestVault;
  let other: TestVault;
  const clients: Client[] = [];
  const connect = async (inst: Instance, who: LoggedIn) => {
    const c = await Client.connect(inst.wsUrl, who.accessToken);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dbs = await sharedPostgres();
    const env = {
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_PREFIX: `vigil-test-${crypto.randomUUID()}`,
      WS_HEARTBEAT_MS: "300",
      WS_MAX_MESSAGE_BYTES: "2048",
      WS_STRIKE_LIMIT: "5",
    };
    a = await startInstance(dbs.a, env);
    b = await startInstance(dbs.b, env);
    g = [];
    for (const n of [1, 2, 3]) g.push(await registerAndLogin(a.app, `guardian${n}@example.com`));
    outsider = [];
    for (const n of [1, 2]) outsider.push(await registerAndLogin(b.app, `other${n}@example.com`));
    vault = await activeVault(a.rt.deps, g);
    other = await activeVault(b.rt.deps, outsider);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await a?.close();
    await b?.close();
    await dbs?.close();
  });

  it("three guardians on two instances sign a transaction over sockets; another vault's guardian hears nothing", async () => {
    const [c1, c2, c3] = [await connect(a, g[0]!), await connect(b, g[1]!), await connect(b, g[2]!)];
    const stranger = await connect(b, outsider[0]!);
    const proposed = await c1.request({
      type: "propose_transaction",
      vaultId: vault.vaultId,
      chain: "solana",
      destination: "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T",
      amount: "1.5",
      memo: "payroll",
    });
    expect(proposed, JSON.stringify(proposed)).toMatchObject({
      type: "result",
      result: { status: "collecting_commitments" },
    });
    const txId = proposed.result.id as string;
    // Pushed from the log through Redis to both instances: round 1 wants commitments.
    for (const c of [c1, c2, c3]) {
      const wanted = await c.next((f) => f.event === "commitments_wanted" && f.transactionId === txId);
      expect(wanted).toMatchObject({
        vaultId: vault.vaultId,
        eventType: "SigningRoundStarted",
        data: { round: 1 },
      });
    }

    const signers = [
      { c: c1, who: g[0]! },
      { c: c2, who: g[1]! },
    ];
    const nonces = new Map<string, ReturnType<typeof ed25519_FROST.commit>>();
    // The same command over both paths: the first signer commits over its socket, the second over REST.
    for (const [i, { c, who }] of signers.entries()) {
      const gen = ed25519_FROST.commit(vault.guardians.get(who.userId)!.secret);
      nonces.set(who.userId, gen);
      const body = { hiding: toHex(gen.commitments.hiding), binding: toHex(gen.commitments.binding) };
      if (i === 0) {
        expect((await c.request({ type: "submit_commitment", transactionId: txId, ...body })).type).toBe(
          "result",
        );
      } else {
        const res = await rest(b, who, "POST", `/v1/custody/transactions/${txId}/commitments`, body);
        expect(res.status).toBe(200);
      }
    }
    const pkg = await c2.next((f) => f.event === "signing_package_ready" && f.transactionId === txId);
    const list = (pkg.data.commitments as Frame[]).map((x) => ({
      identifier: x.identifier as string,
      hiding: fromHex(x.hiding),
      binding: fromHex(x.binding),
    }));
    const message = fromHex(pkg.data.message as string);
    expect(list).toHaveLength(2);
    for (const { c, who } of signers) {
      const share = ed25519_FROST.signShare(
        vault.guardians.get(who.userId)!.secret,
        vault.pub,
        nonces.get(who.userId)!.nonces,
        list,
        message,
      );
      // And the other way round for the shares.
      if (who === g[1]) {
        const r = await c.request({ type: "submit_share", transactionId: txId, share: toHex(share) });
        expect(r.type).toBe("result");
      } else {
        const res = await rest(a, who, "POST", `/v1/custody/transactions/${txId}/shares`, {
          share: toHex(share),
        });
        expect(res.status).toBe(200);
      }
    }
    const signed = await c3.next((f) => f.event === "transaction_signed" && f.transactionId === txId);
    const signature = fromHex(signed.data.signature as string);
    // A plain RFC 8032 verifier accepts it under the vault's group key.
    expect(ed25519.verify(signature, message, vault.pub.commitments[0]!)).toBe(true);
    expect((await c1.request({ type: "get_transaction", transactionId: txId })).result.status).toBe("signed");

    // The other vault's guardian got no push, and cannot read the transaction (404, as over REST).
    await new Promise((r) => setTimeout(r, 300));
    expect(stranger.events()).toEqual([]);
    expect(await stranger.request({ type: "get_transaction", transactionId: txId })).toMatchObject({
      type: "error",
      code: "not_found",
      status: 404,
    });
    expect(other.vaultId).not.toBe(vault.vaultId);
  });

  it("three guardian clients on two instances run the DKG and sign over sockets; the signature verifies", async () => {
    const admin = await signedInUser(a.rt.deps, a.app, "dkg-admin@example.com", ["admin"]);
    const emails = ["dkg1@example.com", "dkg2@example.com", "dkg3@example.com"];
    const instances = [a, b, b];
    const clients3: GuardianClient[] = [];
    for (const [i, email] of emails.entries()) {
      // Guardians already: a role granted on redeem reaches B's 5-second principal cache late (as over REST).
      const u = await signedInUser(a.rt.deps, a.app, email, ["guardian"]);
      const socket = await Client.connect(instances[i]!.wsUrl, u.token);
      clients.push(socket);
      clients3.push(new GuardianClient(socketCall(socket, u.call), "ed25519"));
    }
    const codeFor = async (email: string) => {
      const [row] = await a.rt.deps.db.query<{ event_id: string }>(
        "SELECT event_id::text FROM events WHERE type = 'GuardianInvited' AND data->>'email' = $1",
        [email],
      );
      return requireAuthDeps(a.rt.deps).auth.links.derive("custody_invitation", row!.event_id);
    };
    const vaultId = await vaultWithKey(admin.call, clients3, emails, codeFor);
    const sockets = clients.slice(-3);
    // Every guardian heard the key established, whichever instance it is on.
    for (const c of sockets)
      await c.next((f) => f.event === "vault_key_established" && f.vaultId === vaultId);
    const proposed = await sockets[0]!.request({
      type: "propose_transaction",
      vaultId,
      chain: "ethereum",
      destination: "0x52908400098527886E0F7030069857D2E4169EE7",
      amount: "0.25",
    });
    const txId = proposed.result.id as string;
    for (const g of clients3.slice(0, 2)) expect((await g.commit(txId, 1)).status).toBe(200);
    await sockets[1]!.next((f) => f.event === "signing_package_ready" && f.transactionId === txId);
    for (const g of clients3.slice(0, 2)) expect((await g.share(txId)).status).toBe(200);
    const signed = await sockets[2]!.next(
      (f) => f.event === "transaction_signed" && f.transactionId === txId,
    );
    const tx = await sockets[2]!.request({ type: "get_transaction", transactionId: txId });
    expect(
      ed25519.verify(
        fromHex(signed.data.signature as string),
        fromHex(tx.result.message as string),
        clients3[0]!.key!.public.commitments[0]!,
      ),
    ).toBe(true);
  });

  it("closes the socket of a session revoked on the other instance with 4012", async () => {
    const user = await registerAndLogin(a.app, "leaving@example.com");
    const c = await connect(b, user);
    expect(c.frames[0]).toMatchObject({ type: "ready", userId: user.userId });
    const out = await a.app.request("/v1/auth/logout", {
      method: "POST",
      headers: { Authorization: `Bearer ${user.accessToken}` },
    });
    expect(out.status).toBe(204);
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4012, reason: "session_revoked" });
    // And the token can no longer open one.
    const again = await Client.connect(a.wsUrl, user.accessToken);
    expect(await again.closed).toEqual({ code: 4012, reason: "session_revoked" });
  });

  it("refuses a guardian's 4th connection across instances (4009) and the attempt raises guardian_connections", async () => {
    const user = await registerAndLogin(a.app, "busy@example.com");
    await connect(a, user);
    await connect(b, user);
    await connect(a, user);
    const fourth = await Client.connect(b.wsUrl, user.accessToken);
    expect(await fourth.closed).toEqual({ code: 4009, reason: "too_many_connections" });
    const refused = (
      await a.rt.deps.db.query<{ stream_id: string; stream_version: number }>(
        "SELECT stream_id, stream_version FROM events WHERE type = 'GuardianSocketRefused' AND data->>'userId' = $1",
        [user.userId],
      )
    )[0]!;
    const [trigger] = await a.rt.deps.store.readStream(refused.stream_id);
    const { raised } = await analyze(a.rt.deps, trigger!);
    expect(raised).toHaveLength(1);
    const [alert] = await a.rt.deps.db.query<{ rule: string }>(
      "SELECT data->>'rule' AS rule FROM events WHERE type = 'AlertRaised' AND data->>'alertId' = $1",
      [raised[0]],
    );
    expect(alert?.rule).toBe("guardian_connections");
  });

  it("answers malformed and oversized frames with error frames, closes on repeated abuse (4002) and on frames past the hard cap (1009)", async () => {
    const c = await connect(a, g[0]!);
    c.send("{not json");
    expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "malformed_message" });
    c.send({ type: "submit_share", id: "s1", transactionId: "nope", share: "zz" });
    expect(await c.next((f) => f.id === "s1")).toMatchObject({
      code: "validation_failed",
      errors: expect.arrayContaining([expect.objectContaining({ path: "transactionId" })]),
    });
    c.send({ type: "submit_commitment", id: "big", pad: "x".repeat(3000) });
    expect(await c.next((f) => f.code === "message_too_large")).toBeTruthy();
    c.send({ type: "nope" });
    c.send("[]");
    expect(await c.closed).toEqual({ code: 4002, reason: "policy_violation" });

    const huge = await connect(b, g[1]!);
    huge.send("x".repeat(4 * 2048 + 1));
    expect((await huge.closed).code).toBe(1009);
  });

  it("drops a client that stops answering pings after two missed pongs (4000)", async () => {
    const c = new Client(a.wsUrl, { protocols: [SUBPROTOCOL], autoPong: false });
    clients.push(c);
    await c.opened;
    c.send({ type: "auth", token: g[2]!.accessToken });
    await c.next((f) => f.type === "ready");
    const started = Date.now();
    expect(await c.closed).toEqual({ code: 4000, reason: "heartbeat_timeout" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("authenticates from Sec-WebSocket-Protocol, answering only vigil.custody.v1 (never the token)", async () => {
    const c = new Client(a.wsUrl, { protocols: [SUBPROTOCOL, `vigil.bearer.${g[0]!.accessToken}`] });
    clients.push(c);
    await c.opened;
    expect(c.ws.protocol).toBe(SUBPROTOCOL);
    expect(await c.next((f) => f.type === "ready")).toMatchObject({ userId: g[0]!.userId });
  });

  it("closes 4010 on a bad token, records it, and ten failures from one address raise socket_auth_failures", async () => {
    for (let i = 0; i < 10; i++) {
      const c = await Client.connect(a.wsUrl, `not-a-token-${i}`);
      expect(await c.closed).toEqual({ code: 4010, reason: "token_invalid" });
    }
    const rows = await a.rt.deps.db.query<{ stream_id: string }>(
      "SELECT stream_id FROM events WHERE type = 'SocketAuthenticationFailed' ORDER BY id DESC LIMIT 1",
    );
    const [trigger] = await a.rt.deps.store.readStream(rows[0]!.stream_id);
    expect(trigger).toMatchObject({
      data: { reason: "token_invalid", userId: null },
      metadata: { ip: "127.0.0.1" },
    });
    const { raised } = await analyze(a.rt.deps, trigger!);
    expect(raised).toHaveLength(1);
  });

  it("answers a plain GET 426 upgrade_required", async () => {
    const res = await fetch(`${a.httpUrl}/v1/custody/ws`);
    expect(res.status).toBe(426);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("upgrade_required");
  });
});
