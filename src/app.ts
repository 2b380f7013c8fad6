/**
 * The HTTP application. Everything with side effects arrives through AppDeps, so
 * tests drive the whole stack with `app.request()` and no sockets.
 *
 * Middleware order matters: request id and security headers sit outermost so
 * they decorate every response, including errors, 404s and 405s (both answered by
 * the not-found handler); the access log sees the final status; body limit and
 * JSON parsing run last, just before routes.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Db } from "../db/client.ts";
import type { EventStore } from "../events/store.ts";
import type { AuthServices } from "./auth/services.ts";
import type { Config } from "./config.ts";
import type { WebSocketUpgrader } from "./custody/ws/route.ts";
import type { CustodySocketService } from "./custody/ws/service.ts";
import type { AppEnv } from "./http/env.ts";
import { AppError, createErrorHandler, problemResponse } from "./http/errors.ts";
import { allowedMethods } from "./http/method-not-allowed.ts";
import { accessLog } from "./http/middleware/access-log.ts";
import { bodyLimit } from "./http/middleware/body-limit.ts";
import { clientIp, defaultPeerAddress, type PeerAddress } from "./http/middleware/client-ip.ts";
import { cors } from "./http/middleware/cors.ts";
import { inputRule } from "./http/middleware/input-rule.ts";
import { jsonBody } from "./http/middleware/json-body.ts";
import { requestId } from "./http/middleware/request-id.ts";
import { securityHeaders } from "./http/middleware/security-headers.ts";
import { requestTimeout } from "./http/middleware/timeout.ts";
import { createRouter } from "./http/router.ts";
import type { Metrics } from "./observability/metrics.ts";
import { limitUnauthenticated } from "./security/ratelimit/policies.ts";
import type { RateLimiter } from "./security/ratelimit/types.ts";
import { registerDocs } from "./system/docs.ts";
import { registerHealth } from "./system/health.ts";
import { registerMetrics } from "./system/metrics.ts";

export interface ReadinessCheck {
  name: string;
  /**
   * Resolves when the dependency is usable; throws (or times out) when not.
   * Resolving to the string `"degraded"` reports it degraded without failing
   * readiness (e.g. rate limits served from memory while Redis is away).
   */
  check(): Promise<unknown>;
}

export interface AppDeps {
  config: Config;
  db: Db;
  store: EventStore;
  logger: Logger;
  metrics: Metrics;
  clock: { now(): Date };
  /**
   * Request ids (X-Request-Id) where the client sent none; default: random UUIDs.
   * Not time-ordered like event ids: nothing sorts by them, and crypto.randomUUID
   * cost a microsecond less per request than a UUIDv7 built in JS.
   */
  ids?: { newId(): string };
  /** Dependencies /ready checks besides the database (Redis, the queue...). */
  readiness: ReadinessCheck[];
  /** How to find the direct TCP peer; defaults to the Node and Deno adapters' env. */
  peerAddress?: PeerAddress;
  /** Rate limits (src/security/ratelimit); unset: no limiting. */
  rateLimiter?: RateLimiter;
  /** Password hashing, JWT keys and issuer, device tokens, SessionGuard (src/auth/services.ts). */
  auth?: AuthServices;
  /** The custody WebSocket of this instance (src/custody/ws/extension.ts); unset: /v1/custody/ws answers 503. */
  custodySocket?: CustodySocketService;
  /** The runtime's WebSocket upgrade (Node: @hono/node-server with ws; Deno: hono/deno), set by the entry. */
  upgradeWebSocket?: WebSocketUpgrader;
}

export type App = OpenAPIHono<AppEnv>;

/** A feature folder's entry point: mounts its routers, usually under /v1. */
export type Feature = (app: App, deps: AppDeps) => void;

export function createApp(deps: AppDeps, features: readonly Feature[] = []): App {
  const { config, logger, metrics } = deps;
  const newId = deps.ids?.newId ?? (() => crypto.randomUUID());
  const app = createRouter();

  app.use(requestId(logger, newId));
  app.use(securityHeaders());
  app.use(accessLog(metrics));
  app.use(clientIp(config.trustedProxies, deps.peerAddress ?? defaultPeerAddress));
  app.use(cors(config.corsOrigins));
  app.use(requestTimeout(config.requestTimeoutMs));
  // Before the body is read: a refused client costs no parsing.
  app.use("/v1/*", limitUnauthenticated(deps));
  // One input rule for query, path parameters and data headers (bodies: jsonBody).
  app.use(inputRule());
  app.use(bodyLimit(config.bodyLimitBytes));
  app.use("/v1/*", jsonBody());

  registerHealth(app, deps);
  registerMetrics(app, deps);
  registerDocs(app);
  for (const feature of features) feature(app, deps);

  // 405 (with Allow) is decided here, where no route matched, rather than by a middleware on every request.
  const allowed = allowedMethods(app);
  app.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length > 0 && !methods.includes(c.req.method)) {
      return problemResponse(
        c,
        new AppError("method_not_allowed", `${c.req.method} is not supported here`, {
          headers: { Allow: methods.join(", ") },
        }),
      );
    }
    return problemResponse(c, new AppError("not_found", `No route for ${c.req.path}`));
  });
  app.onError(createErrorHandler(logger));
  return app;
}
