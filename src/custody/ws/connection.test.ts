/** The custody socket protocol handler over a fake socket: auth, limits, abuse, heartbeats, expiry, commands. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { AppError } from "../../http/errors.ts";
import { type ConnectionDeps, openConnection, type SocketCommand } from "./connection.ts";
import { Hub } from "./hub.ts";
import type { SocketJournal } from "./journal.ts";
import { CLOSE_CODES } from "./protocol.ts";
import type { AuthOutcome, SocketAuth, SocketIdentity } from "./session.ts";
import { memorySlots } from "./slots.ts";
import type { Socket } from "./socket.ts";

const ALICE = "0195a000-0000-7000-9000-00000000000a";
const BOB = "0195a000-0000-7000-9000-00000000000b";

class FakeSocket implements Socket {
  sent: Record<string, unknown>[] = [];
  closedWith: { code: number; reason: string } | undefined;
  pings = 0;
  terminated = false;
  send(text: string) {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code: number, reason: string) {
    this.closedWith ??= { code, reason };
  }
  ping() {
    this.pings++;
  }
  terminate() {
    this.terminated = true;
  }
  get isOpen() {
    return this.closedWith === undefined;
  }
  last() {
    return this.sent.at(-1);
  }
  ofType(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

/** Tokens are `<user>:<session>:<state>`; state `ok`, `bad`, `expired`, `revoked`. */
function fakeAuth(sessions: Map<string, AuthOutcome>): SocketAuth {
  const identityOf = (token: string): AuthOutcome => {
    const [userId, sessionId, state] = token.split(":");
    if (state === "bad" || !userId || !sessionId) return { ok: false, reason: "token_invalid" };
    if (state === "expired") return { ok: false, reason: "token_expired" };
    const identity: SocketIdentity = {
      userId,
      sessionId,
      roles: ["guardian"],
      tokenExpiresAt: new Date(Date.now() + 60_000),
    };
    return sessions.get(sessionId) ?? { ok: true, identity };
  };
  return {
    authenticate: async (token) => identityOf(token),
    async check(identity) {
      if (identity.tokenExpiresAt.getTime() <= Date.now()) return { ok: false, reason: "token_expired" };
      return sessions.get(identity.sessionId) ?? { ok: true, identity };
    },
  };
}

function journal() {
  const log: { kind: string; args: unknown[] }[] = [];
  const j: SocketJournal = {
    opened: async (...args) => void log.push({ kind: "opened", args }),
    closed: async (...args) => void log.push({ kind: "closed", args }),
    refused: async (...args) => void log.push({ kind: "refused", args }),
    authFailed: async (...args) => void log.push({ kind: "authFailed", args }),
  };
  return { j, log };
}

const echo: SocketCommand = {
  type: "echo",
  schema: z.strictObject({
    type: z.literal("echo"),
    id: z.union([z.string(), z.number()]).optional(),
    text: z.string().max(10),
  }),
  async run(ctx, msg: { text: string }) {
    if (msg.text === "boom") throw new AppError("conflict", "seen before");
    if (msg.text === "crash") throw new Error("driver exploded: SELECT secret");
    return { text: msg.text, userId: ctx.auth.userId, actor: ctx.metadata.actor };
  },
};

let n = 0;
function setup(over: Partial<ConnectionDeps["limits"]> = {}) {
  const sessions = new Map<string, AuthOutcome>();
  const { j, log } = journal();
  const hub = new Hub();
  const deps: ConnectionDeps = {
    auth: fakeAuth(sessions),
    slots: memorySlots({ max: 3, leaseMs: 60_000 }),
    hub,
    journal: j,
    commands: new Map([[echo.type, echo]]),
    limits: {
      maxMessageBytes: 1024,
      messagesPerSecond: 50,
      heartbeatMs: 1000,
      authTimeoutMs: 5000,
      strikeLimit: 5,
      strikeWindowMs: 60_000,
      ...over,
    },
    clock: { now: () => new Date() },
    newId: () => `0195a000-0000-7000-8000-${(++n).toString(16).padStart(12, "0")}`,
    logger: { warn: () => {}, error: () => {} },
  };
  const connect = (token?: string) => {
    const socket = new FakeSocket();
    const conn = openConnection(deps, socket, { ip: "203.0.113.9", userAgent: "t", requestId: "r1", token });
    const say = async (frame: unknown) => {
      conn.onMessage(typeof frame === "string" ? frame : JSON.stringify(frame));
      await flush();
    };
    return { socket, conn, say };
  };
  return { deps, sessions, log, hub, connect };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("authentication", () => {
  it("answers a valid auth message with ready and registers the connection", async () => {
    const { connect, hub, log } = setup();
    const { socket, say } = connect();
    await say({ type: "auth", id: 1, token: `${ALICE}:s1:ok` });
    expect(socket.last()).toMatchObject({ type: "ready", id: 1, userId: ALICE, sessionId: "s1" });
    expect(hub.connectionsOf(ALICE)).toHaveLength(1);
    expect(log.map((l) => l.kind)).toEqual(["opened"]);
  });

  it("takes the token from the handshake's subprotocol", async () => {
    const { connect } = setup();
    const { socket } = connect(`${ALICE}:s1:ok`);
    await flush();
    expect(socket.last()).toMatchObject({ type: "ready", userId: ALICE });
  });

  it("closes 4010 on a bad token and 4011 on an expired one, recording the failure", async () => {
    const { connect, log } = setup();
    const a = connect();
    await a.say({ type: "auth", token: "x:y:bad" });
    expect(a.socket.closedWith).toEqual({ code: CLOSE_CODES.token_invalid, reason: "token_invalid" });
    const b = connect();
    await b.say({ type: "auth", token: `${ALICE}:s1:expired` });
    expect(b.socket.closedWith?.code).toBe(4011);
    expect(log.filter((l) => l.kind === "authFailed").map((l) => l.args[2])).toEqual([
      "token_invalid",
      "token_expired",
    ]);
  });

  it("closes 4001 when no auth arrives in time", async () => {
    const { connect, log } = setup();
    const { socket } = connect();
    await vi.advanceTimersByTimeAsync(5001);
    expect(socket.closedWith?.code).toBe(CLOSE_CODES.auth_timeout);
    expect(log[0]).toMatchObject({
      kind: "authFailed",
      args: [expect.any(String), null, "auth_timeout", expect.anything()],
    });
  });

  it("refuses commands before auth with not_authenticated", async () => {
    const { connect } = setup();
    const { socket, say } = connect();
    await say({ type: "echo", id: "a", text: "hi" });
    expect(socket.last()).toMatchObject({ type: "error", id: "a", code: "not_authenticated" });
    expect(socket.closedWith).toBeUndefined();
  });

  it("refuses a 4th concurrent connection of one user with 4009, and frees a slot on close", async () => {
    const { connect, log } = setup();
    const open = [];
    for (let i = 0; i < 3; i++) {
      const c = connect(`${ALICE}:s${i}:ok`);
      await flush();
      open.push(c);
    }
    const fourth = connect(`${ALICE}:s9:ok`);
    await flush();
    expect(fourth.socket.closedWith).toEqual({ code: 4009, reason: "too_many_connections" });
    expect(log.find((l) => l.kind === "refused")?.args[2]).toBe(3);
    const bob = connect(`${BOB}:b1:ok`);
    await flush();
    expect(bob.socket.last()).toMatchObject({ type: "ready" });
    open[0]!.conn.onClose(1000, "bye");
    const again = connect(`${ALICE}:s10:ok`);
    await flush();
    expect(again.socket.last()).toMatchObject({ type: "ready" });
  });

  it("accepts a fresh token of the same user and refuses another user's", async () => {
    const { connect } = setup();
    const { socket, say } = connect(`${ALICE}:s1:ok`);
    await flush();
    await say({ type: "auth", id: 2, token: `${ALICE}:s1:ok` });
    expect(socket.last()).toMatchObject({ type: "ready", id: 2 });
    await say({ type: "auth", id: 3, token: `${BOB}:b1:ok` });
    expect(socket.last()).toMatchObject({ type: "error", id: 3, code: "identity_mismatch" });
    await say({ type: "auth", id: 4, token: "x:y:bad" });
    expect(socket.last()).toMatchObject({ type: "error", id: 4, code: "token_invalid" });
    expect(socket.closedWith).toBeUndefined();
  });
});

describe("the session on every message", () => {
  it("closes 4012 when the session was revoked, 4013 when the account was disabled", async () => {
    const { connect, sessions } = setup();
    const a = connect(`${ALICE}:s1:ok`);
    const b = connect(`${BOB}:b1:ok`);
    await flush();
    sessions.set("s1", { ok: false, reason: "session_revoked" });
    sessions.set("b1", { ok: false, reason: "account_disabled" });
    await a.say({ type: "echo", text: "hi" });
    await b.say({ type: "echo", text: "hi" });
    expect(a.socket.closedWith?.code).toBe(4012);
    expect(b.socket.closedWith?.code).toBe(4013);
    expect(a.socket.ofType("result")).toHaveLength(0);
  });

  it("closes a quiet revoked session's socket at the next heartbeat", async () => {
    const { connect, sessions, hub } = setup();
    const a = connect(`${ALICE}:s1:ok`);
    await flush();
    sessions.set("s1", { ok: false, reason: "session_revoked" });
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(a.socket.closedWith?.code).toBe(4012);
    expect(hub.size).toBe(0);
  });

  it("closes 4011 when the token expires and no fresh one came; a fresh one keeps it open", async () => {
    const { connect } = setup({ heartbeatMs: 600_000 });
    const a = connect(`${ALICE}:s1:ok`);
    const b = connect(`${BOB}:b1:ok`);
    await flush();
    await vi.advanceTimersByTimeAsync(30_000);
    await b.say({ type: "auth", token: `${BOB}:b1:ok` });
    await vi.advanceTimersByTimeAsync(30_001);
    expect(a.socket.closedWith?.code).toBe(4011);
    expect(b.socket.closedWith).toBeUndefined();
  });
});

describe("limits and abuse", () => {
  it("answers malformed, binary, unknown and invalid messages with stable codes", async () => {
    const { connect } = setup();
    const { socket, say } = connect(`${ALICE}:s1:ok`);
    await flush();
    await say("{oops");
    expect(socket.last()).toMatchObject({ code: "malformed_message" });
    await say("[1,2]");
    expect(socket.last()).toMatchObject({ code: "malformed_message" });
    await say({ type: "nope", id: 7 });
    expect(socket.last()).toMatchObject({ code: "unknown_type", id: 7 });
    await say({ type: "echo", id: 8, text: "far too long for it" });
    expect(socket.last()).toMatchObject({
      code: "validation_failed",
      id: 8,
      errors: [expect.objectContaining({ path: "text" })],
    });
    expect(socket.closedWith).toBeUndefined();
  });

  it("refuses binary frames and oversized messages without parsing them", async () => {
    const { connect } = setup();
    const { socket, conn } = connect(`${ALICE}:s1:ok`);
    await flush();
    conn.onMessage(new Uint8Array([1, 2, 3]).buffer);
    expect(socket.last()).toMatchObject({ code: "binary_not_supported" });
    conn.onMessage(JSON.stringify({ type: "echo", text: "x".repeat(2000) }));
    expect(socket.last()).toMatchObject({ code: "message_too_large" });
    // Multi-byte characters are counted as bytes, not as characters.
    conn.onMessage(JSON.stringify({ type: "echo", text: "é".repeat(600) }));
    expect(socket.last()).toMatchObject({ code: "message_too_large" });
  });

  it("closes with 4002 after repeated abuse", async () => {
    const { connect } = setup();
    const { socket, say } = connect(`${ALICE}:s1:ok`);
    await flush();
    for (let i = 0; i < 5; i++) await say("garbage");
    expect(socket.ofType("error")).toHaveLength(5);
    expect(socket.closedWith).toEqual({ code: 4002, reason: "policy_violation" });
  });

  it("limits messages per second", async () => {
    const { connect } = setup({ messagesPerSecond: 3, strikeLimit: 100 });
    const { socket, say } = connect(`${ALICE}:s1:ok`);
    await flush();
    for (let i = 0; i < 5; i++) await say({ type: "ping", id: i });
    expect(socket.ofType("pong")).toHaveLength(3);
    expect(socket.ofType("error").map((f) => f.code)).toEqual(["rate_limited", "rate_limited"]);
    await vi.advanceTimersByTimeAsync(1000);
    await say({ type: "ping", id: 9 });
    expect(socket.last()).toMatchObject({ type: "pong", id: 9 });
  });
});

describe("heartbeats", () => {
  it("pings each beat and drops the connection after two missed pongs", async () => {
    const { connect, hub, log } = setup();
    const { socket, conn } = connect(`${ALICE}:s1:ok`);
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.pings).toBe(2);
    conn.onPong();
    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.closedWith).toEqual({ code: 4000, reason: "heartbeat_timeout" });
    expect(socket.terminated).toBe(true);
    expect(hub.size).toBe(0);
    expect(log.at(-1)).toMatchObject({
      kind: "closed",
      args: [expect.any(String), ALICE, 4000, "heartbeat_timeout", expect.anything()],
    });
  });
});

describe("commands and pushes", () => {
  it("runs a command with the connection's identity and answers result or the problem code", async () => {
    const { connect } = setup();
    const { socket, say } = connect(`${ALICE}:s1:ok`);
    await flush();
    await say({ type: "echo", id: "e1", text: "hi" });
    expect(socket.last()).toEqual({
      type: "result",
      id: "e1",
      command: "echo",
      result: { text: "hi", userId: ALICE, actor: `user:${ALICE}` },
    });
    await say({ type: "echo", id: "e2", text: "boom" });
    expect(socket.last()).toMatchObject({ type: "error", id: "e2", code: "conflict", status: 409 });
    await say({ type: "echo", id: "e3", text: "crash" });
    expect(socket.last()).toEqual({
      type: "error",
      id: "e3",
      code: "internal_error",
      detail: "The command failed; nothing was changed",
      status: 500,
    });
  });

  it("delivers pushes for its user only, and stops after close", async () => {
    const { connect, hub } = setup();
    const a = connect(`${ALICE}:s1:ok`);
    const b = connect(`${BOB}:b1:ok`);
    await flush();
    hub.handle({ kind: "push", deliveries: [{ userIds: [ALICE], frame: '{"type":"event","event":"x"}' }] });
    expect(a.socket.last()).toEqual({ type: "event", event: "x" });
    expect(b.socket.ofType("event")).toHaveLength(0);
    hub.handle({ kind: "revoke", sessionIds: ["s1"], reason: "session_revoked" });
    expect(a.socket.closedWith?.code).toBe(4012);
    hub.handle({ kind: "push", deliveries: [{ userIds: [ALICE], frame: '{"type":"event","event":"y"}' }] });
    expect(a.socket.ofType("event")).toHaveLength(1);
  });
});
