/**
 * One custody WebSocket connection: the whole protocol, over the small Socket
 * interface (socket.ts), so it runs the same on Node and Deno and unit tests
 * drive it with a fake socket and fake timers.
 *
 * Life of a connection:
 * 1. open: an `auth` message (or the token from Sec-WebSocket-Protocol) must
 *    arrive within `authTimeoutMs`, else close 4001;
 * 2. auth: token, account and session checked (session.ts); a failure closes
 *    with its code and is recorded (SocketAuthenticationFailed); success takes
 *    a connection slot (slots.ts), the 4th concurrent one is refused (4009,
 *    GuardianSocketRefused), and answers `ready`;
 * 3. every later message: size, rate and shape checked first (cheap, before any
 *    I/O), then the session again, then the command runs;
 * 4. heartbeats: a ping every `heartbeatMs`; two unanswered close it (4000).
 *    Each beat also renews the slot and re-checks the session, so a quiet
 *    socket of a revoked session closes too (the fan-out closes it at once).
 */
import type { ZodType } from "zod";
import type { EventMetadata } from "../../../events/types.ts";
import type { AuthContext } from "../../http/env.ts";
import { AppError } from "../../http/errors.ts";
import type { Hub, HubConnection } from "./hub.ts";
import type { SocketJournal } from "./journal.ts";
import { MessageBucket, Strikes } from "./limits.ts";
import {
  authSchema,
  CLOSE_CODES,
  type CloseReason,
  type Envelope,
  envelopeSchema,
  errorFrame,
  PROTOCOL_ERRORS,
  type ProtocolErrorCode,
  pingSchema,
  pongSchema,
  type ReadyFrame,
  STRIKE_CODES,
} from "./protocol.ts";
import type { AuthFailure, SocketAuth, SocketIdentity } from "./session.ts";
import type { ConnectionSlots } from "./slots.ts";
import type { Socket } from "./socket.ts";

export interface SocketLimits {
  maxMessageBytes: number;
  messagesPerSecond: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  /** Strikes (protocol errors) within `strikeWindowMs` that close the socket. */
  strikeLimit: number;
  strikeWindowMs: number;
}

export interface CommandContext {
  auth: AuthContext;
  metadata: EventMetadata;
}

/** A command a client may send: its frame schema (type, id and parameters) and what it runs. */
export interface SocketCommand {
  readonly type: string;
  readonly schema: ZodType;
  run(ctx: CommandContext, message: never): Promise<unknown>;
}

export interface ConnectionDeps {
  auth: SocketAuth;
  slots: ConnectionSlots;
  hub: Hub;
  journal: SocketJournal;
  commands: ReadonlyMap<string, SocketCommand>;
  limits: SocketLimits;
  clock: { now(): Date };
  newId(): string;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface ConnectionInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** From `Sec-WebSocket-Protocol: vigil.custody.v1, vigil.bearer.<token>`. */
  token?: string;
}

export interface Connection {
  readonly id: string;
  onMessage(data: unknown): void;
  onPong(): void;
  /** The transport closed (either side). */
  onClose(code: number, reason: string): void;
  /** Server shutdown. */
  close(reason: CloseReason): void;
}

const encoder = new TextEncoder();

function byteLength(data: unknown): number {
  if (typeof data === "string") return data.length < 16_384 ? data.length * 3 : encoder.encode(data).length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof Blob !== "undefined" && data instanceof Blob) return data.size;
  return 0;
}

export function openConnection(deps: ConnectionDeps, socket: Socket, info: ConnectionInfo): Connection {
  const { limits } = deps;
  const id = deps.newId();
  const now = () => deps.clock.now().getTime();
  const bucket = new MessageBucket(limits.messagesPerSecond, limits.messagesPerSecond, now());
  const strikes = new Strikes(limits.strikeLimit, limits.strikeWindowMs);
  let identity: SocketIdentity | undefined;
  let registered = false;
  let closed = false;
  let missed = 0;
  let chain: Promise<void> = Promise.resolve();
  let expiry: ReturnType<typeof setTimeout> | undefined;
  let authTimer: ReturnType<typeof setTimeout> | undefined;
  let beat: ReturnType<typeof setInterval> | undefined;

  const send = (frame: object) => {
    if (!closed && socket.isOpen) socket.send(JSON.stringify(frame));
  };

  const handle: HubConnection = {
    id,
    get userId() {
      return identity?.userId ?? "";
    },
    get sessionId() {
      return identity?.sessionId ?? "";
    },
    deliver: (frame) => {
      if (!closed && socket.isOpen) socket.send(frame);
    },
    closeWith: (reason) => closeWith(reason),
  };

  function release(code: number, reason: string): void {
    clearTimeout(authTimer);
    clearInterval(beat);
    clearTimeout(expiry);
    if (!registered || !identity) return;
    registered = false;
    const { userId } = identity;
    deps.hub.remove(handle);
    void deps.slots.release(userId, id).catch(() => {});
    void deps.journal.closed(id, userId, code, reason, info);
  }

  function closeWith(reason: CloseReason, terminate = false): void {
    if (closed) return;
    closed = true;
    const code = CLOSE_CODES[reason];
    socket.close(code, reason);
    if (terminate) socket.terminate?.();
    release(code, reason);
  }

  function protocolError(code: ProtocolErrorCode, msgId?: string | number, extra = {}): void {
    send(errorFrame(code, PROTOCOL_ERRORS[code], msgId, extra));
    if (STRIKE_CODES.has(code) && strikes.strike(now())) closeWith("policy_violation");
  }

  async function refused(reason: AuthFailure | "auth_timeout", userId: string | null): Promise<void> {
    await deps.journal.authFailed(id, userId, reason, info);
    closeWith(reason);
  }

  function scheduleExpiry(at: Date): void {
    clearTimeout(expiry);
    // Re-checked when it fires: a fresh `auth` in between moved it.
    expiry = setTimeout(() => closeWith("token_expired"), Math.max(0, at.getTime() - now()));
  }

  async function authenticate(token: string, msgId?: string | number): Promise<void> {
    const outcome = await deps.auth.authenticate(token);
    if (closed) return;
    if (!outcome.ok) {
      // A bad fresh token on a working connection is an error, not the end of it.
      if (identity && (outcome.reason === "token_invalid" || outcome.reason === "token_expired")) {
        send(errorFrame(outcome.reason, "The new token was refused; the current one still holds", msgId));
        return;
      }
      return refused(outcome.reason, identity?.userId ?? null);
    }
    const next = outcome.identity;
    if (identity) {
      if (next.userId !== identity.userId) return protocolError("identity_mismatch", msgId);
      identity = next;
    } else {
      const slot = await deps.slots.acquire(next.userId, id);
      if (closed) {
        if (slot.ok) await deps.slots.release(next.userId, id);
        return;
      }
      if (!slot.ok) {
        await deps.journal.refused(id, next, slot.open, info);
        return closeWith("too_many_connections");
      }
      identity = next;
      registered = true;
      clearTimeout(authTimer);
      deps.hub.add(handle);
      void deps.journal.opened(id, next, info);
    }
    scheduleExpiry(identity.tokenExpiresAt);
    const ready: ReadyFrame = {
      type: "ready",
      ...(msgId === undefined ? {} : { id: msgId }),
      connectionId: id,
      userId: identity.userId,
      sessionId: identity.sessionId,
      tokenExpiresAt: identity.tokenExpiresAt.toISOString(),
      limits: {
        maxMessageBytes: limits.maxMessageBytes,
        messagesPerSecond: limits.messagesPerSecond,
        heartbeatSeconds: Math.round(limits.heartbeatMs / 1000),
      },
    };
    send(ready);
  }

  async function stillValid(): Promise<boolean> {
    if (!identity) return false;
    const outcome = await deps.auth.check(identity);
    if (closed) return false;
    if (!outcome.ok) {
      closeWith(outcome.reason);
      return false;
    }
    identity = outcome.identity;
    return true;
  }

  async function runCommand(env: Envelope, raw: unknown): Promise<void> {
    const command = deps.commands.get(env.type);
    if (!command)
      return protocolError("unknown_type", env.id, { detail: `Unknown message type "${env.type}"` });
    const parsed = command.schema.safeParse(raw);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join("."),
        message: i.message,
      }));
      return protocolError("validation_failed", env.id, { errors });
    }
    const me = identity!;
    const requestId = deps.newId();
    const ctx: CommandContext = {
      auth: { userId: me.userId, sessionId: me.sessionId, roles: me.roles },
      metadata: {
        actor: `user:${me.userId}`,
        ip: info.ip,
        userAgent: info.userAgent,
        requestId,
        correlationId: id,
        causationId: requestId,
      },
    };
    try {
      const result = await command.run(ctx, parsed.data as never);
      send({ type: "result", ...(env.id === undefined ? {} : { id: env.id }), command: env.type, result });
    } catch (err) {
      if (!(err instanceof AppError)) {
        deps.logger.error({ err, connectionId: id, command: env.type }, "custody socket command failed");
        return void send(
          errorFrame("internal_error", "The command failed; nothing was changed", env.id, { status: 500 }),
        );
      }
      send(
        errorFrame(err.code, err.detail ?? err.title, env.id, {
          ...err.extra.ext,
          status: err.status,
          ...(err.extra.errors ? { errors: err.extra.errors } : {}),
        }),
      );
    }
  }

  async function process(text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return protocolError("malformed_message");
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) return protocolError("malformed_message");
    const { type, id: msgId } = env.data;
    missed = 0;
    if (type === "auth") {
      const auth = authSchema.safeParse(raw);
      if (!auth.success)
        return protocolError("validation_failed", msgId, {
          errors: [{ path: "token", message: "required" }],
        });
      return authenticate(auth.data.token, msgId);
    }
    if (type === "pong")
      return void (pongSchema.safeParse(raw).success || protocolError("validation_failed", msgId));
    if (type === "ping") {
      if (!pingSchema.safeParse(raw).success) return protocolError("validation_failed", msgId);
      return send({ type: "pong", ...(msgId === undefined ? {} : { id: msgId }) });
    }
    if (!identity) return protocolError("not_authenticated", msgId);
    if (!(await stillValid())) return;
    return runCommand(env.data, raw);
  }

  authTimer = setTimeout(() => {
    if (identity || closed) return;
    void refused("auth_timeout", null);
  }, limits.authTimeoutMs);

  beat = setInterval(() => {
    // Before auth, the auth timeout is what ends a silent socket.
    if (closed || !identity) return;
    if (missed >= 2) return closeWith("heartbeat_timeout", true);
    missed++;
    if (socket.ping) socket.ping();
    else send({ type: "ping" });
    void deps.slots.renew(identity.userId, id).catch(() => {});
    chain = chain.then(() => stillValid().then(() => {})).catch(() => {});
  }, limits.heartbeatMs);

  if (info.token) chain = chain.then(() => authenticate(info.token!)).catch(onFailure);

  function onFailure(err: unknown): void {
    deps.logger.error({ err, connectionId: id }, "custody socket failed");
    closeWith("going_away");
  }

  return {
    id,
    onMessage(data) {
      if (closed) return;
      if (byteLength(data) > limits.maxMessageBytes) {
        // Measured exactly only when the cheap bound says it might be too large.
        if (typeof data !== "string" || encoder.encode(data).length > limits.maxMessageBytes) {
          return protocolError("message_too_large");
        }
      }
      if (!bucket.take(now())) return protocolError("rate_limited");
      if (typeof data !== "string") return protocolError("binary_not_supported");
      chain = chain.then(() => process(data)).catch(onFailure);
    },
    onPong() {
      missed = 0;
    },
    onClose(code, reason) {
      if (closed) return;
      closed = true;
      release(code, reason.slice(0, 123));
    },
    close: (reason) => closeWith(reason),
  };
}
