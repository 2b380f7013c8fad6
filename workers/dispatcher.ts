/**
 * The dispatcher turns committed events into jobs. It is a log consumer
 * (projections/consumer.ts): `handle` runs inside the transaction that advances
 * its checkpoint, and it enqueues every job of the batch before returning.
 *
 * - Queue down: enqueue throws, the transaction rolls back, the checkpoint
 *   stays, the next poll tries the same events again. No job is lost.
 * - Crash after enqueue but before the commit: the batch is read again and
 *   enqueued again with the same ids, which the queue ignores. No job doubles.
 *
 * That second guarantee rests on job ids being derived from the event id, so
 * the dispatcher refuses a route that makes any other kind of id.
 */
import type { StoredEvent } from "../events/types.ts";
import type { Consumer } from "../projections/consumer.ts";
import type { JobQueue, JobSpec } from "./queue.ts";

export interface JobRoute {
  readonly eventType: string;
  /** The jobs this event causes (often none); build each with `eventJob`. */
  jobs(event: StoredEvent): readonly JobSpec[];
}

export interface DispatcherOptions {
  queue: JobQueue;
  routes: readonly JobRoute[];
  /** The checkpoint name (default `dispatcher`). */
  name?: string;
  /** Enqueues in flight at once (default 32). */
  parallel?: number;
}

/**
 * A job caused by `event`. Its id is `<event id>/<job name>` (plus `/<key>` when
 * one event causes several jobs of the same name, e.g. one email per admin).
 */
export function eventJob(event: StoredEvent, name: string, data: unknown, key?: string): JobSpec {
  return {
    name,
    id: key === undefined ? `${event.eventId}/${name}` : `${event.eventId}/${name}/${key}`,
    data,
  };
}

export function createDispatcher(opts: DispatcherOptions): Consumer {
  const byType = new Map<string, JobRoute[]>();
  for (const r of opts.routes) byType.set(r.eventType, [...(byType.get(r.eventType) ?? []), r]);
  const parallel = Math.max(1, opts.parallel ?? 32);

  return {
    name: opts.name ?? "dispatcher",
    eventTypes: [...byType.keys()],
    async handle(_tx, events) {
      const jobs: JobSpec[] = [];
      const seen = new Set<string>();
      for (const event of events) {
        for (const route of byType.get(event.type) ?? []) {
          for (const job of route.jobs(event)) {
            if (!job.id.startsWith(`${event.eventId}/`)) {
              throw new Error(
                `route for ${event.type} made job id "${job.id}" not derived from the event id`,
              );
            }
            if (seen.has(job.id)) throw new Error(`two routes made the same job id "${job.id}"`);
            seen.add(job.id);
            jobs.push(job);
          }
        }
      }
      for (let i = 0; i < jobs.length; i += parallel) {
        await Promise.all(jobs.slice(i, i + parallel).map((j) => opts.queue.enqueue(j)));
      }
    },
  };
}
