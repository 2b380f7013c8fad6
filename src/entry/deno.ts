/** `npm run start:deno`: the same runtime under Deno.serve. The only file that touches `Deno.*`. */
import { upgradeWebSocket } from "hono/deno";
import { DataDirLockedError } from "../../db/data-dir-lock.ts";
import { createApp } from "../app.ts";
import { background } from "../background.ts";
import { ConfigError } from "../config.ts";
import { custodySockets } from "../custody/ws/extension.ts";
import { features } from "../features.ts";
import { AppError } from "../http/errors.ts";
import { buildRuntime } from "../runtime.ts";

async function main(): Promise<void> {
  const rt = await buildRuntime(Deno.env.toObject(), { extensions: [background(), custodySockets()] });
  const { config } = rt;
  const logger = rt.deps.logger;
  // Deno picks the first offered subprotocol unless told: answer ours, never the bearer token.
  rt.deps.upgradeWebSocket = (c, events, protocol) => {
    // Deno splits Sec-WebSocket-Protocol on ", " only; "a,b" (as `ws` sends it) would fail the upgrade.
    const offered = (c.req.header("Sec-WebSocket-Protocol") ?? "").split(", ");
    if (protocol && !offered.includes(protocol)) {
      throw new AppError("bad_request", "Separate the offered subprotocols with a comma and a space");
    }
    return upgradeWebSocket(c, events, protocol ? { protocol } : {}) as Promise<Response>;
  };
  const app = createApp(rt.deps, features);

  const server = Deno.serve(
    {
      hostname: config.host,
      port: config.port,
      onListen: ({ hostname, port }) => {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        logger.info({ url: `http://${host}:${port}` }, `Vigil listening on http://${host}:${port} (Deno)`);
      },
    },
    // The client-ip middleware reads the peer from `remoteAddr` in the env.
    (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr }),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => Deno.exit(1), 10_000);
    try {
      await server.shutdown();
      await rt.close();
    } finally {
      clearTimeout(deadline);
      Deno.exit(0);
    }
  };
  Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof DataDirLockedError ? err.message : err);
  Deno.exit(1);
});
