/**
 * The custody socket as a runtime extension: the push bus and connection slots
 * (Redis when REDIS_URL is set, else in this process), the instance's socket
 * service (`deps.custodySocket`), the fan-out consumer of the log and the
 * LISTEN that wakes it. Every server instance runs this; the consumer's
 * advisory lock lets exactly one of them read the log at a time, and every
 * instance delivers what the bus brings to its own sockets.
 */
import type { RuntimeExtension } from "../../runtime.ts";
import { memoryBus, type PushBus, redisBus } from "./bus.ts";
import { custodySocketCommands } from "./commands.ts";
import type { SocketCommand } from "./connection.ts";
import { fanoutConsumer, runFanout } from "./fanout.ts";
import { custodyPushes } from "./pushes.ts";
import { createCustodySocketService } from "./service.ts";
import { type ConnectionSlots, memorySlots, redisSlots } from "./slots.ts";
import { listenForWakeups } from "./wake.ts";

export interface CustodySocketOptions {
  /** Commands clients may send (default: custody's, commands.ts). */
  commands?: (deps: Parameters<RuntimeExtension>[0]["deps"]) => ReadonlyMap<string, SocketCommand>;
  /** Fallback poll of the fan-out between wake-ups (ms). */
  pollMs?: number;
  /** Events older than this when the fan-out reads them are not pushed (ms). */
  maxAgeMs?: number;
}

/** A slot outlives a missed heartbeat or two, not a crashed instance by much. */
const leaseMs = (heartbeatMs: number) => Math.max(3 * heartbeatMs, 5_000);

export function custodySockets(opts: CustodySocketOptions = {}): RuntimeExtension {
  return async (rt) => {
    const { config, deps } = rt;
    const { logger } = deps;
    const cfg = config.custodySocket;
    const bus: PushBus = config.redisUrl
      ? redisBus({ url: config.redisUrl, prefix: config.redisPrefix, logger })
      : memoryBus();
    rt.onClose(() => bus.close());
    const slotOpts = { max: cfg.maxConnectionsPerUser, leaseMs: leaseMs(cfg.heartbeatMs) };
    const slots: ConnectionSlots = config.redisUrl
      ? redisSlots({ ...slotOpts, url: config.redisUrl, prefix: config.redisPrefix, logger })
      : memorySlots(slotOpts);
    rt.onClose(() => slots.close());

    const service = await createCustodySocketService(deps, {
      bus,
      slots,
      commands: (opts.commands ?? custodySocketCommands)(deps),
    });
    deps.custodySocket = service;
    rt.onClose(() => service.shutdown());

    const consumer = runFanout(
      {
        db: deps.db,
        store: deps.store,
        pollMs: opts.pollMs ?? 500,
        onError: (err) => logger.error({ error: (err as Error).message }, "push fan-out failed"),
      },
      fanoutConsumer({
        bus,
        source: custodyPushes(deps.store.catalog),
        clock: deps.clock,
        maxAgeMs: opts.maxAgeMs ?? 60_000,
      }),
    );
    rt.onClose(() => consumer.stop());
    const unlisten = await listenForWakeups(deps.db, () => consumer.poke());
    rt.onClose(() => unlisten());
  };
}
