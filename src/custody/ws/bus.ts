/**
 * The push bus between instances. The fan-out consumer (fanout.ts), running on
 * one instance, publishes what the log says; every instance, itself included,
 * receives it and delivers to the sockets it holds (hub.ts).
 *
 * - Redis pub/sub (REDIS_URL): every instance subscribed to one channel.
 * - Memory: one process (the embedded default, where PGlite allows no second one).
 *
 * Pub/sub is at most once: an instance that is cut off from Redis misses what
 * was published meanwhile. Clients therefore read the state over REST when they
 * (re)connect; pushes tell them what changed, the REST API is the record.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";

export interface Delivery {
  /** Users whose sockets get this frame. */
  userIds: readonly string[];
  /** The frame, serialised once. */
  frame: string;
}

export type BusMessage =
  | { kind: "push"; deliveries: readonly Delivery[] }
  /** Close these sessions' sockets (SessionRevoked from the log). */
  | { kind: "revoke"; sessionIds: readonly string[]; reason: "session_revoked" | "account_disabled" };

export interface PushBus {
  publish(message: BusMessage): Promise<void>;
  subscribe(fn: (message: BusMessage) => void): Promise<void>;
  close(): Promise<void>;
}

export function memoryBus(): PushBus {
  const handlers = new Set<(m: BusMessage) => void>();
  return {
    async publish(message) {
      // Round-trip through JSON like the real bus, so nothing relies on shared objects.
      const copy = JSON.parse(JSON.stringify(message)) as BusMessage;
      for (const h of handlers) queueMicrotask(() => h(copy));
    },
    async subscribe(fn) {
      handlers.add(fn);
    },
    async close() {
      handlers.clear();
    },
  };
}

export function redisBus(opts: { url: string; prefix: string; logger: Pick<Logger, "warn"> }): PushBus {
  const channel = `${opts.prefix}:custody:push`;
  const pub = new Redis(opts.url, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
  pub.on("error", () => {});
  let sub: Redis | undefined;
  return {
    async publish(message) {
      await pub.publish(channel, JSON.stringify(message));
    },
    async subscribe(fn) {
      sub ??= new Redis(opts.url);
      sub.on("error", (err) => opts.logger.warn({ error: err.message }, "redis error (push bus)"));
      sub.on("message", (ch: string, text: string) => {
        if (ch !== channel) return;
        try {
          fn(JSON.parse(text) as BusMessage);
        } catch (err) {
          opts.logger.warn({ error: (err as Error).message }, "unreadable push bus message");
        }
      });
      await sub.subscribe(channel);
    },
    async close() {
      sub?.disconnect();
      pub.disconnect();
    },
  };
}
