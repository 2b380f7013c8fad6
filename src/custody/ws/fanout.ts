/**
 * The push fan-out: a checkpointed consumer of the log (projections/consumer.ts)
 * that turns committed events into bus messages. Never the request path: what
 * a guardian receives is what the log says, in log order, whoever appended it
 * (a REST call, a socket command, a timeout job, another instance).
 *
 * One instance runs it at a time (the consumer's advisory lock); it is woken by
 * a NOTIFY sent in the appending transaction (wake.ts) and polls slowly besides.
 *
 * - custody events become `event` frames for the vault's guardians (pushes.ts
 *   decides which events, which words and who receives them);
 * - SessionRevoked closes that session's sockets on every instance (4012, or
 *   4013 when the account was disabled).
 *
 * Delivery is at least once (a batch published and then rolled back is
 * published again; frames carry the event id to deduplicate) and live only:
 * an event older than `maxAgeMs` when read (a consumer that was down, a first
 * start over an old log) is not pushed, since clients read state over REST
 * when they connect.
 */
import type { Sql } from "../../../db/client.ts";
import type { StoredEvent } from "../../../events/types.ts";
import type { Consumer } from "../../../projections/consumer.ts";
import type { BusMessage, Delivery, PushBus } from "./bus.ts";

export const FANOUT_CONSUMER = "custody-push";

/** Which events are pushed, to whom and as what (see pushes.ts). */
export interface PushSource {
  readonly eventTypes: readonly string[];
  deliveries(sql: Sql, event: StoredEvent): Promise<Delivery[]>;
}

export interface FanoutOptions {
  bus: PushBus;
  source: PushSource;
  clock: { now(): Date };
  maxAgeMs: number;
}

export function fanoutConsumer(opts: FanoutOptions): Consumer {
  return {
    name: FANOUT_CONSUMER,
    eventTypes: [...opts.source.eventTypes, "SessionRevoked"],
    async handle(tx, events) {
      const out: BusMessage[] = [];
      const oldest = opts.clock.now().getTime() - opts.maxAgeMs;
      for (const e of events) {
        if (e.recordedAt.getTime() < oldest) continue;
        if (e.type === "SessionRevoked") {
          const d = e.data as { sessionId: string; reason: string };
          const reason = d.reason === "account_disabled" ? "account_disabled" : "session_revoked";
          out.push({ kind: "revoke", sessionIds: [d.sessionId], reason });
          continue;
        }
        const deliveries = await opts.source.deliveries(tx, e);
        if (deliveries.length > 0) out.push({ kind: "push", deliveries });
      }
      for (const m of out) await opts.bus.publish(m);
    },
  };
}
