/** `npm start`: Vigil on Node with @hono/node-server. */
import { DataDirLockedError } from "../../db/data-dir-lock.ts";
import { createApp } from "../app.ts";
import { background } from "../background.ts";
import { ConfigError } from "../config.ts";
import { custodySockets } from "../custody/ws/extension.ts";
import { nodeWebSocket, serveWithWebSocket } from "../custody/ws/node.ts";
import { features } from "../features.ts";
import { buildRuntime } from "../runtime.ts";

async function main(): Promise<void> {
  const rt = await buildRuntime(process.env, { extensions: [background(), custodySockets()] });
  const { config } = rt;
  const logger = rt.deps.logger;
  const ws = nodeWebSocket(config);
  rt.deps.upgradeWebSocket = ws.upgrade;
  const app = createApp(rt.deps, features);

  const server = serveWithWebSocket(app, ws, { hostname: config.host, port: config.port }, (info) => {
    const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
    logger.info({ url: `http://${host}:${info.port}` }, `Vigil listening on http://${host}:${info.port}`);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // A hard deadline, in case an open keep-alive connection or a job never finishes.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close(() => {
      rt.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    // Idle keep-alive sockets would otherwise hold close() open.
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
