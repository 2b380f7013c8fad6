/**
 * What the custody socket records in the log: one stream
 * `custodyws-<connection id>` per connection (events/catalog/custody-sockets.ts).
 * These feed the guardian-connections and socket-authentication threat rules.
 * Recording never fails a connection: an append error is logged and dropped.
 */
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata, NewEvent } from "../../../events/types.ts";
import type { ConnectionInfo } from "./connection.ts";
import type { AuthFailure, SocketIdentity } from "./session.ts";

/** How long a refused attempt counts as an open connection for the threat rule. */
export const REFUSED_COUNTS_MS = 60_000;

export interface SocketJournal {
  opened(connectionId: string, who: SocketIdentity, info: ConnectionInfo): Promise<void>;
  closed(
    connectionId: string,
    userId: string,
    code: number,
    reason: string,
    info: ConnectionInfo,
  ): Promise<void>;
  refused(connectionId: string, who: SocketIdentity, open: number, info: ConnectionInfo): Promise<void>;
  authFailed(
    connectionId: string,
    userId: string | null,
    reason: AuthFailure | "auth_timeout",
    info: ConnectionInfo,
  ): Promise<void>;
}

export const socketStream = (connectionId: string) => `custodyws-${connectionId}`;

export function logJournal(deps: {
  store: EventStore;
  clock: { now(): Date };
  max: number;
  logger: { warn(obj: object, msg: string): void };
}): SocketJournal {
  const meta = (info: ConnectionInfo, userId: string | null): EventMetadata => ({
    actor: userId ? `user:${userId}` : "anonymous",
    ip: info.ip?.slice(0, 64) ?? null,
    userAgent: info.userAgent?.slice(0, 512) ?? null,
    requestId: info.requestId,
    correlationId: info.requestId,
    causationId: info.requestId,
  });
  const record = async (connectionId: string, event: NewEvent, m: EventMetadata) => {
    try {
      await deps.store.append(socketStream(connectionId), "any", [event], m);
    } catch (err) {
      deps.logger.warn(
        { error: (err as Error).message, type: event.type },
        "custody socket event not recorded",
      );
    }
  };
  return {
    opened: (connectionId, who, info) =>
      record(
        connectionId,
        {
          type: "GuardianSocketOpened",
          data: { connectionId, userId: who.userId, sessionId: who.sessionId },
        },
        meta(info, who.userId),
      ),
    closed: (connectionId, userId, code, reason, info) =>
      record(
        connectionId,
        { type: "GuardianSocketClosed", data: { connectionId, userId, code, reason: reason.slice(0, 123) } },
        meta(info, userId),
      ),
    refused: (connectionId, who, open, info) =>
      record(
        connectionId,
        {
          type: "GuardianSocketRefused",
          data: {
            connectionId,
            userId: who.userId,
            sessionId: who.sessionId,
            open,
            max: deps.max,
            expiresAt: new Date(deps.clock.now().getTime() + REFUSED_COUNTS_MS).toISOString(),
          },
        },
        meta(info, who.userId),
      ),
    authFailed: (connectionId, userId, reason, info) =>
      record(
        connectionId,
        { type: "SocketAuthenticationFailed", data: { connectionId, userId, reason } },
        meta(info, userId),
      ),
  };
}
