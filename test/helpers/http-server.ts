/** A real HTTP server on 127.0.0.1 and a free port, for tests and benchmarks that need sockets. */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface HttpServer {
  base: string;
  close(): Promise<void>;
}

export function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<HttpServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
  });
}

/** Sorted-sample percentiles and the maximum, in whole milliseconds. */
export function latencySummary(ms: readonly number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const p = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { n: sorted.length, p50: p(0.5), p99: p(0.99), max: Math.round(sorted.at(-1) ?? 0) };
}
