/**
 * The custody socket service of one instance: its connections (hub), their
 * dependencies, and the bus subscription that feeds them. Built by the runtime
 * extension (extension.ts) and injected as `AppDeps.custodySocket`; the route
 * (route.ts) opens a connection per upgraded socket.
 */
import type { AppDeps } from "../../app.ts";
import type { PushBus } from "./bus.ts";
import { type Connection, type ConnectionInfo, openConnection, type SocketCommand } from "./connection.ts";
import { Hub } from "./hub.ts";
import { logJournal, type SocketJournal } from "./journal.ts";
import { createSocketAuth } from "./session.ts";
import type { ConnectionSlots } from "./slots.ts";
import type { Socket } from "./socket.ts";

export interface CustodySocketService {
  readonly hub: Hub;
  open(socket: Socket, info: ConnectionInfo): Connection;
  /** Closes every socket of this instance with 1001 (going away). */
  shutdown(): void;
}

export interface ServiceParts {
  bus: PushBus;
  slots: ConnectionSlots;
  commands: ReadonlyMap<string, SocketCommand>;
  journal?: SocketJournal;
}

export async function createCustodySocketService(
  deps: AppDeps,
  parts: ServiceParts,
): Promise<CustodySocketService> {
  const cfg = deps.config.custodySocket;
  const hub = new Hub();
  const open = new Set<Connection>();
  await parts.bus.subscribe((m) => hub.handle(m));
  const connectionDeps = {
    auth: createSocketAuth(deps),
    slots: parts.slots,
    hub,
    journal:
      parts.journal ??
      logJournal({
        store: deps.store,
        clock: deps.clock,
        max: cfg.maxConnectionsPerUser,
        logger: deps.logger,
      }),
    commands: parts.commands,
    limits: {
      maxMessageBytes: cfg.maxMessageBytes,
      messagesPerSecond: cfg.messagesPerSecond,
      heartbeatMs: cfg.heartbeatMs,
      authTimeoutMs: cfg.authTimeoutMs,
      strikeLimit: cfg.strikeLimit,
      strikeWindowMs: 60_000,
    },
    clock: deps.clock,
    newId: () => crypto.randomUUID(),
    logger: deps.logger,
  };
  return {
    hub,
    open(socket, info) {
      const c = openConnection(connectionDeps, socket, info);
      open.add(c);
      return {
        id: c.id,
        onMessage: (data) => c.onMessage(data),
        onPong: () => c.onPong(),
        onClose(code, reason) {
          open.delete(c);
          c.onClose(code, reason);
        },
        close(reason) {
          open.delete(c);
          c.close(reason);
        },
      };
    },
    shutdown() {
      for (const c of [...open]) c.close("going_away");
      open.clear();
    },
  };
}
