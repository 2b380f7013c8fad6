/**
 * `GET /v1/custody/ws`: the upgrade to the custody WebSocket. The runtime's
 * upgrade helper arrives through `AppDeps.upgradeWebSocket` (Node and Deno
 * entries), the protocol through `AppDeps.custodySocket`; this file only
 * checks the handshake and binds the two.
 *
 * The token is never read from the URL. A client authenticates with a first
 * `auth` message, or in the handshake with
 * `Sec-WebSocket-Protocol: vigil.custody.v1, vigil.bearer.<access token>`
 * (the server answers with `vigil.custody.v1` alone, never echoing the token).
 */
import type { Context } from "hono";
import type { WSEvents } from "hono/ws";
import type { App, AppDeps, Feature } from "../../app.ts";
import { AppError } from "../../http/errors.ts";
import type { Connection } from "./connection.ts";
import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from "./protocol.ts";
import { fromWsContext } from "./socket.ts";

/** Upgrades `c`; `protocol` is the subprotocol to answer with, when the client offered ours. */
export type WebSocketUpgrader = (
  c: Context,
  events: WSEvents,
  protocol: string | undefined,
) => Promise<Response>;

export const CUSTODY_WS_PATH = "/v1/custody/ws";

/** The offered subprotocols; the bearer one is a token and stays out of logs. */
export function offeredProtocols(header: string | undefined): {
  ours: boolean;
  token?: string;
  count: number;
} {
  const offered = (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  const token = bearer?.slice(BEARER_PROTOCOL_PREFIX.length);
  return { ours: offered.includes(SUBPROTOCOL), count: offered.length, ...(token ? { token } : {}) };
}

function registerCustodySocket(app: App, deps: AppDeps): void {
  app.get(CUSTODY_WS_PATH, async (c) => {
    const service = deps.custodySocket;
    const upgrade = deps.upgradeWebSocket;
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError("upgrade_required", "This endpoint speaks WebSocket only", {
        headers: { Upgrade: "websocket" },
      });
    }
    if (!service || !upgrade) {
      throw new AppError("service_unavailable", "The custody WebSocket is not enabled on this server");
    }
    const offered = offeredProtocols(c.req.header("Sec-WebSocket-Protocol"));
    if (offered.count > 0 && !offered.ours) {
      throw new AppError("bad_request", `Offer the ${SUBPROTOCOL} subprotocol (or none)`);
    }
    const info = {
      ip: c.get("clientIp") ?? null,
      userAgent: c.req.header("User-Agent") ?? null,
      requestId: c.get("requestId") ?? null,
      ...(offered.token ? { token: offered.token } : {}),
    };
    let conn: Connection | undefined;
    const events: WSEvents = {
      onOpen: (_evt, ws) => {
        conn = service.open(
          fromWsContext(ws, () => conn?.onPong()),
          info,
        );
      },
      onMessage: (evt) => conn?.onMessage(evt.data),
      onClose: (evt) => conn?.onClose(evt.code, evt.reason),
    };
    return upgrade(c, events, offered.ours ? SUBPROTOCOL : undefined);
  });
}

export const custodySocketFeature: Feature = (app, deps) => registerCustodySocket(app, deps);
