/**
 * Governance's jobs, derived from its events by the dispatcher:
 *
 * - the timed steps, as delayed jobs (`runAt`): ProposalCreated → activate at
 *   votingStartsAt; ProposalActivated → close at votingEndsAt; ProposalQueued →
 *   end of timelock at timelockEndsAt. Ids `<event id>/governance.step`. A
 *   step that finds itself early (clocks differ) fails and is retried with
 *   backoff; one that finds the proposal moved on does nothing;
 * - interventions (GuardianVetoCast, GuardianApproved, ProposalVetoed) →
 *   `governance.notify`, which emails every admin. The mail holds only text
 *   Vigil writes (ids, kind, counts), never the guardian's reason or the
 *   proposal's title: those are client-supplied and stay behind the API.
 */
import { loadState } from "../../events/handle.ts";
import type { EventMetadata, StoredEvent } from "../../events/types.ts";
import { eventJob, type JobRoute } from "../../workers/dispatcher.ts";
import { EMAIL_SEND } from "../../workers/email.ts";
import { type JobHandler, type JobQueue, PermanentJobError } from "../../workers/queue.ts";
import { PERMISSIONS } from "../access/permissions.ts";
import type { AppDeps } from "../app.ts";
import { activate, close, endTimelock, stepAhead } from "./commands.ts";
import { proposalEvolver, proposalStream } from "./proposal.ts";

export const GOVERNANCE_STEP = "governance.step";
export const GOVERNANCE_NOTIFY = "governance.notify";

type Step = "activate" | "close" | "timelock";
const step = (e: StoredEvent, s: Step, at: string) => ({
  ...eventJob(e, GOVERNANCE_STEP, {
    proposalId: (e.data as { proposalId: string }).proposalId,
    step: s,
    eventId: e.eventId,
  }),
  runAt: new Date(at),
});

const d = (e: StoredEvent) => e.data as Record<string, string>;

export const governanceJobRoutes: JobRoute[] = [
  { eventType: "ProposalCreated", jobs: (e) => [step(e, "activate", d(e).votingStartsAt!)] },
  { eventType: "ProposalActivated", jobs: (e) => [step(e, "close", d(e).votingEndsAt!)] },
  { eventType: "ProposalQueued", jobs: (e) => [step(e, "timelock", d(e).timelockEndsAt!)] },
  ...["GuardianVetoCast", "GuardianApproved", "ProposalVetoed"].map(
    (eventType): JobRoute => ({
      eventType,
      jobs: (e) => [
        eventJob(e, GOVERNANCE_NOTIFY, {
          eventId: e.eventId,
          type: e.type,
          at: e.recordedAt.toISOString(),
          ...(e.data as object),
        }),
      ],
    }),
  ),
];

const systemMeta = (causation: string): EventMetadata => ({
  actor: "system:governance",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: causation,
  causationId: causation,
});

interface NotifyJob {
  eventId: string;
  type: string;
  at: string;
  proposalId: string;
  vetoes?: number;
  needed?: number;
}

const SUBJECTS: Record<string, string> = {
  GuardianVetoCast: "A guardian vetoed a proposal",
  GuardianApproved: "A guardian approved a proposal",
  ProposalVetoed: "A proposal was vetoed",
};

/** Only Vigil's own words and identifiers: see the module comment. */
export function interventionEmail(to: string, j: NotifyJob, kind: string) {
  const lines = [`${SUBJECTS[j.type]} (${kind.replace("_", "-")} proposal ${j.proposalId}) at ${j.at}.`];
  if (j.type === "GuardianVetoCast") lines.push(`Vetoes so far: ${j.vetoes} of ${j.needed} needed.`);
  lines.push(
    "",
    "The guardian's reason is recorded in the event log.",
    `Review it: GET /v1/governance/proposals/${j.proposalId}`,
  );
  return { to, subject: `[Vigil] ${SUBJECTS[j.type]}`, text: lines.join("\n") };
}

export function governanceJobHandlers(deps: AppDeps, queue: JobQueue): Record<string, JobHandler> {
  const steps = { activate, close, timelock: endTimelock };
  return {
    async [GOVERNANCE_STEP](data) {
      const j = data as { proposalId?: unknown; step?: unknown; eventId?: unknown };
      if (typeof j.proposalId !== "string" || typeof j.eventId !== "string" || !(String(j.step) in steps)) {
        throw new PermanentJobError("governance.step needs proposalId, step and eventId");
      }
      const s = j.step as Step;
      const { state } = await loadState(deps.store, proposalStream(j.proposalId), proposalEvolver);
      if (stepAhead(state, s, deps.clock.now())) throw new Error(`${s} of ${j.proposalId} is not due yet`);
      await steps[s](deps, j.proposalId, systemMeta(j.eventId));
    },
    async [GOVERNANCE_NOTIFY](data) {
      const j = data as NotifyJob;
      if (typeof j.eventId !== "string" || typeof j.proposalId !== "string" || !SUBJECTS[j.type]) {
        throw new PermanentJobError("governance.notify needs an intervention event");
      }
      const { state } = await loadState(deps.store, proposalStream(j.proposalId), proposalEvolver);
      const admins = await deps.db.query<{ user_id: string; email: string }>(
        `SELECT user_id, email FROM users
         WHERE status = 'active'
           AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(roles) r WHERE r = ANY(string_to_array($1::text, ',')))
         ORDER BY user_id`,
        [PERMISSIONS["governance:admin"].join(",")],
      );
      for (const a of admins) {
        await queue.enqueue({
          name: EMAIL_SEND,
          id: `${j.eventId}/${EMAIL_SEND}/${a.user_id}`,
          data: interventionEmail(a.email, j, state?.kind ?? "standard"),
        });
      }
    },
  };
}
