/**
 * Headers written straight onto Node's ServerResponse when the app is served by
 * @hono/node-server, which hands it to the app as `env.outgoing`.
 *
 * Why: a WHATWG `Headers` validates, lowercases and re-sorts on every `set`,
 * and the adapter has a fast path for a Response whose headers are still a
 * plain object, which the first `c.res.headers` access ends. A dozen fixed
 * headers set that way cost more than the rest of a hello-world request; set
 * on the ServerResponse they cost a property write each. Node merges them into
 * the head when the adapter writes it, the Response's own value of a header
 * winning (callers that must win re-check after the route; see
 * security-headers.ts).
 *
 * Anywhere else (Deno, `app.request()` in tests, a WebSocket upgrade) there is
 * no ServerResponse and callers set the header on the Response as before.
 */
import type { Context } from "hono";

export interface NodeOutgoing {
  setHeader(name: string, value: string): unknown;
  readonly headersSent: boolean;
}

/** The ServerResponse this request will be answered on, when there is one whose head is not yet written. */
export function nodeOutgoing(c: Context): NodeOutgoing | undefined {
  const out = (c.env as { outgoing?: Partial<NodeOutgoing> } | undefined)?.outgoing;
  if (!out || typeof out.setHeader !== "function" || out.headersSent !== false) return undefined;
  return out as NodeOutgoing;
}
