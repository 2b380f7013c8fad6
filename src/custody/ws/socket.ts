/**
 * The little a connection handler needs of a WebSocket, so the protocol logic
 * (connection.ts) runs the same on Node (`ws`) and Deno, and in unit tests
 * over a fake. Adapters from Hono's WSContext live here too.
 */
import type { WSContext } from "hono/ws";

export interface Socket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * A protocol-level ping, where the runtime exposes one (Node's `ws`); its
   * pong reaches the handler's `onPong`. Without it the handler sends a
   * `{"type":"ping"}` frame and expects `{"type":"pong"}`.
   */
  ping?(): void;
  /** Drops the connection without the closing handshake (a dead peer never answers one). */
  terminate?(): void;
  readonly isOpen: boolean;
}

const OPEN = 1;

/** The raw `ws` socket of @hono/node-server, as far as we use it. */
interface NodeWs {
  ping(): void;
  terminate(): void;
  on(event: "pong", fn: () => void): unknown;
}

const isNodeWs = (raw: unknown): raw is NodeWs =>
  typeof raw === "object" &&
  raw !== null &&
  typeof (raw as NodeWs).ping === "function" &&
  typeof (raw as NodeWs).terminate === "function" &&
  typeof (raw as NodeWs).on === "function";

/**
 * Wraps Hono's WSContext. On Node the raw `ws` socket gives protocol pings and
 * terminate; `onPong` is wired to its pong events. On Deno the handler falls
 * back to `ping` frames.
 */
export function fromWsContext(ws: WSContext, onPong: () => void): Socket {
  const raw = ws.raw;
  const node = isNodeWs(raw) ? raw : undefined;
  node?.on("pong", onPong);
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    ping: node ? () => node.ping() : undefined,
    terminate: node ? () => node.terminate() : undefined,
    get isOpen() {
      return ws.readyState === OPEN;
    },
  };
}
