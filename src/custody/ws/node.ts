/**
 * The custody WebSocket on Node: a `ws` WebSocketServer in noServer mode,
 * handed to @hono/node-server's `serve`, and the upgrade helper for
 * `AppDeps.upgradeWebSocket`. Node-only (the Deno entry uses hono/deno).
 */
import { type ServerType, serve, upgradeWebSocket } from "@hono/node-server";
import { WebSocketServer } from "ws";
import type { App } from "../../app.ts";
import type { Config } from "../../config.ts";
import { SUBPROTOCOL } from "./protocol.ts";
import type { WebSocketUpgrader } from "./route.ts";

export interface NodeWebSocket {
  server: WebSocketServer;
  upgrade: WebSocketUpgrader;
}

export function nodeWebSocket(config: Pick<Config, "custodySocket">): NodeWebSocket {
  const server = new WebSocketServer({
    noServer: true,
    // Between the protocol limit and this the client gets an error frame; beyond it, 1009 at once.
    maxPayload: 4 * config.custodySocket.maxMessageBytes,
    // Answer with our subprotocol only: the other offered value is the bearer token.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  return { server, upgrade: (c, events) => upgradeWebSocket(c, events) };
}

/** Serves `app` with the WebSocket attached (tests use port 0 on 127.0.0.1). */
export function serveWithWebSocket(
  app: App,
  ws: NodeWebSocket,
  opts: { port: number; hostname: string },
  onListen?: (info: { address: string; port: number; family: string }) => void,
): ServerType {
  return serve(
    { fetch: app.fetch, port: opts.port, hostname: opts.hostname, websocket: { server: ws.server } },
    onListen,
  );
}
