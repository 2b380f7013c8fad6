/**
 * Body size limit. A declared Content-Length over the limit is refused before
 * reading; otherwise the body is counted as it streams, because Content-Length
 * may be absent (chunked) or lie. The counted body is buffered and handed on,
 * which is fine at API sizes (1 MiB default).
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { AppError } from "../errors.ts";

export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => new AppError("payload_too_large", `The request body exceeds ${maxBytes} bytes`);
  // Not async: a GET passes through without a promise of its own.
  return (c, next) => {
    // GET and HEAD carry no body a route can read (fetch forbids one, the Node adapter drops it), and
    // asking for `body` would make the Node adapter build a full WHATWG Request for nothing.
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    return limited(c, next);
  };

  async function limited(c: Context, next: Next): Promise<void> {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = c.req.header("Content-Length");
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
    const buf = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      buf.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: buf });
    return next();
  }
}
