/**
 * The security jobs, as dispatcher routes and job handlers:
 *
 * - every threat trigger (LoginFailed, AccountLocked, RateLimitExceeded, …)
 *   becomes a `threat.analyze` job, id `<event id>/threat.analyze`;
 * - a high or critical AlertRaised becomes an `alert.notify` job, whose handler
 *   finds the accounts allowed to read security state (admins) and enqueues one
 *   `email.send` per admin with id `<event id>/email.send/<user id>`, so a retry
 *   after a partial run sends nobody a second copy.
 */
import type { Logger } from "pino";
import type { Db } from "../../../db/client.ts";
import type { EventOf } from "../../../events/catalog/index.ts";
import type { AlertRaised } from "../../../events/catalog/security.ts";
import type { EventStore } from "../../../events/store.ts";
import { eventJob, type JobRoute } from "../../../workers/dispatcher.ts";
import { EMAIL_SEND } from "../../../workers/email.ts";
import { type JobHandler, type JobQueue, PermanentJobError } from "../../../workers/queue.ts";
import { PERMISSIONS } from "../../access/permissions.ts";
import { banListFor } from "../bans/check.ts";
import { analyze } from "./analyze.ts";
import { THREAT_TRIGGER_TYPES } from "./rules/index.ts";
import { eventAt } from "./window.ts";

export const THREAT_ANALYZE = "threat.analyze";
export const ALERT_NOTIFY = "alert.notify";

const NOTIFY_SEVERITIES = new Set(["high", "critical"]);

export const securityJobRoutes: JobRoute[] = [
  ...THREAT_TRIGGER_TYPES.map(
    (eventType): JobRoute => ({
      eventType,
      jobs: (e) => [
        eventJob(e, THREAT_ANALYZE, {
          eventId: e.eventId,
          streamId: e.streamId,
          streamVersion: e.streamVersion,
        }),
      ],
    }),
  ),
  {
    eventType: "AlertRaised",
    jobs(e) {
      const d = e.data as EventOf<typeof AlertRaised>["data"];
      if (!NOTIFY_SEVERITIES.has(d.severity)) return [];
      return [
        eventJob(e, ALERT_NOTIFY, { eventId: e.eventId, recordedAt: e.recordedAt.toISOString(), ...d }),
      ];
    },
  },
];

export interface SecurityJobDeps {
  db: Db;
  store: EventStore;
  queue: JobQueue;
  clock: { now(): Date };
  logger: Pick<Logger, "warn">;
}

type AlertJob = EventOf<typeof AlertRaised>["data"] & { eventId: string; recordedAt: string };

/** Accounts that hold `security:read` (admins by default), active, with their email. */
async function securityReaders(db: Db): Promise<{ user_id: string; email: string }[]> {
  return db.query(
    `SELECT user_id, email FROM users
     WHERE status = 'active'
       AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(roles) r WHERE r = ANY(string_to_array($1::text, ',')))
     ORDER BY user_id`,
    [PERMISSIONS["security:read"].join(",")],
  );
}

export function alertEmail(to: string, a: AlertJob) {
  return {
    to,
    subject: `[Vigil] ${a.severity.toUpperCase()} security alert: ${a.rule.replaceAll("_", " ")}`,
    text: [
      `Vigil raised a ${a.severity} alert (rule ${a.rule}).`,
      "",
      a.summary,
      "",
      `Subject: ${a.subject}`,
      `Raised: ${a.recordedAt}`,
      `Evidence: ${a.eventIds.length} event(s)`,
      "",
      `Review it: GET /v1/security/alerts/${a.alertId}`,
      `Acknowledge it: POST /v1/security/alerts/${a.alertId}/acknowledge`,
    ].join("\n"),
  };
}

export function securityJobHandlers(deps: SecurityJobDeps): Record<string, JobHandler> {
  const bans = banListFor(deps);
  return {
    async [THREAT_ANALYZE](data) {
      const job = data as { streamId?: unknown; streamVersion?: unknown };
      if (typeof job.streamId !== "string" || typeof job.streamVersion !== "number") {
        throw new PermanentJobError("threat.analyze needs streamId and streamVersion");
      }
      const trigger = await eventAt(deps.db, deps.store, job.streamId, job.streamVersion);
      if (!trigger) throw new PermanentJobError(`no event ${job.streamId}@${job.streamVersion}`);
      await analyze(
        { db: deps.db, store: deps.store, clock: deps.clock, onBan: () => bans.invalidate() },
        trigger,
      );
    },
    async [ALERT_NOTIFY](data) {
      const a = data as AlertJob;
      if (typeof a.eventId !== "string" || typeof a.alertId !== "string") {
        throw new PermanentJobError("alert.notify needs the AlertRaised event");
      }
      const readers = await securityReaders(deps.db);
      if (readers.length === 0) deps.logger.warn({ alertId: a.alertId }, "no admin to email the alert to");
      for (const r of readers) {
        await deps.queue.enqueue({
          name: EMAIL_SEND,
          id: `${a.eventId}/${EMAIL_SEND}/${r.user_id}`,
          data: alertEmail(r.email, a),
        });
      }
    },
  };
}
