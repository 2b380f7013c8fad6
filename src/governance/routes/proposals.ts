/**
 * Proposals and voting power: create, list, read, cancel, veto, approve,
 * execute; PUT/GET /v1/governance/power/{userId}. The body of a proposal is
 * stored and returned as given (JSON string), never rendered as HTML.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { PROPOSAL_KINDS } from "../../../events/catalog/governance.ts";
import { can } from "../../access/permissions.ts";
import { type GuardedRoute, guard } from "../../access/route-table.ts";
import type { AuthDeps } from "../../auth/deps.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { activeGuardians, createProposal, onProposal } from "../commands.ts";
import { assignPower, currentPower } from "../power.ts";
import { decideApprove, decideCancel, decideExecute, decideVeto, PROPOSAL_STATES } from "../proposal.ts";
import { listProposals, liveTally, proposalById } from "../queries.ts";
import { ERRORS, IdParam, jsonBody, ok, oneLine, Reason, secured } from "./common.ts";

const ProposalSchema = z.record(z.string(), z.unknown()).openapi("Proposal", {
  description:
    "id, proposerId, title, body (as given), kind, choices, votingStartsAt/EndsAt, quorumPercent, thresholdPercent, timelockSeconds, state, snapshot {txId, id}, totalPower, tally, result, timelockEndsAt, timelockEnded, vetoes, approvals",
});

const CreateBody = z.object({
  title: oneLine(200).trim().min(1),
  body: z
    .string()
    .max(20_000)
    .refine((t) => !t.includes(String.fromCharCode(0)), "must not contain NUL")
    .default(""),
  kind: z.enum(PROPOSAL_KINDS).default("standard"),
  choices: z.array(oneLine(64).trim().min(1)).min(2).max(10).default(["for", "against", "abstain"]),
  votingStartsAt: z.iso.datetime({ offset: true }),
  votingEndsAt: z.iso.datetime({ offset: true }),
  quorumPercent: z.number().int().min(0).max(100).default(10),
  thresholdPercent: z.number().int().min(1).max(100).default(50),
});

const PowerBody = z.object({ power: z.number().int().min(0).max(1e12), reason: Reason });
const PowerSchema = z.object({ userId: z.uuid(), power: z.number(), previous: z.number().optional() });
const CONFLICT = problemContent(
  "`proposal_state`, `timelock_over`, `timelock_active`, `approval_required`, `already_intervened`",
);

export function proposalsRouter(deps: AuthDeps) {
  const { base, security } = secured(deps);
  const responses = { 200: ok(ProposalSchema, "The proposal"), ...ERRORS, 409: CONFLICT };
  const action = (r: GuardedRoute, verb: string, summary: string, reason: z.ZodType = Reason) =>
    createRoute({
      method: "post",
      path: `/governance/proposals/{id}/${verb}`,
      tags: ["governance"],
      summary,
      middleware: [...base, guard(r)],
      security,
      request: { params: IdParam, ...jsonBody(z.object({ reason })) },
      responses,
    });

  const create = createRoute({
    method: "post",
    path: "/governance/proposals",
    tags: ["governance"],
    summary: "Create a proposal (pending until votingStartsAt)",
    middleware: [...base, guard("POST /v1/governance/proposals")],
    security,
    request: jsonBody(CreateBody),
    responses: { 201: ok(ProposalSchema, "The proposal"), ...ERRORS },
  });
  const list = createRoute({
    method: "get",
    path: "/governance/proposals",
    tags: ["governance"],
    summary: "Proposals, newest first, optionally by state",
    middleware: [...base, guard("GET /v1/governance/proposals")],
    security,
    request: {
      query: z.object({
        state: z.enum(PROPOSAL_STATES).optional(),
        cursor: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
    },
    responses: {
      200: ok(z.object({ proposals: z.array(ProposalSchema), nextCursor: z.string().nullable() }), "A page"),
      ...ERRORS,
    },
  });
  const get = createRoute({
    method: "get",
    path: "/governance/proposals/{id}",
    tags: ["governance"],
    summary: "One proposal: state, snapshot position, live tally, result, timelock end",
    middleware: [...base, guard("GET /v1/governance/proposals/{id}")],
    security,
    request: { params: IdParam },
    responses,
  });
  const cancel = action(
    "POST /v1/governance/proposals/{id}/cancel",
    "cancel",
    "Cancel: the proposer before voting starts, an admin at any time (with a reason)",
    Reason.optional(),
  );
  const veto = action(
    "POST /v1/governance/proposals/{id}/veto",
    "veto",
    "Veto during the timelock (guardians)",
  );
  const approve = action("POST /v1/governance/proposals/{id}/approve", "approve", "Approve (guardians)");
  const execute = action(
    "POST /v1/governance/proposals/{id}/execute",
    "execute",
    "Mark executed after the timelock (admins; high-risk needs a guardian's approval)",
    Reason.optional(),
  );
  const power = createRoute({
    method: "put",
    path: "/governance/power/{userId}",
    tags: ["governance"],
    summary: "Set a user's voting power, with a reason (admins)",
    middleware: [...base, guard("PUT /v1/governance/power/{userId}")],
    security,
    request: { params: z.object({ userId: z.uuid() }), ...jsonBody(PowerBody) },
    responses: { 200: ok(PowerSchema, "The new power"), ...ERRORS },
  });
  const readPower = createRoute({
    method: "get",
    path: "/governance/power/{userId}",
    tags: ["governance"],
    summary: "A user's current voting power",
    middleware: [...base, guard("GET /v1/governance/power/{userId}")],
    security,
    request: { params: z.object({ userId: z.uuid() }) },
    responses: { 200: ok(PowerSchema, "The power"), ...ERRORS },
  });

  const detail = async (id: string) => {
    const p = await proposalById(deps.db, id);
    if (!p) return null;
    return { ...p, tally: await liveTally(deps.db, id, p.choices) };
  };
  const found = async (id: string) => {
    const d = await detail(id);
    if (!d) throw new AppError("not_found", "No such proposal");
    return d;
  };

  return createRouter()
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const id = await createProposal(deps, c.get("auth")!.userId, body, eventMetadata(c));
      return c.json(await found(id), 201);
    })
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      return c.json(await listProposals(deps.db, { state: q.state, before: q.cursor, limit: q.limit }), 200);
    })
    .openapi(get, async (c) => c.json(await found(c.req.valid("param").id), 200))
    .openapi(cancel, async (c) => {
      const auth = c.get("auth")!;
      const { reason } = c.req.valid("json") as { reason?: string };
      const id = c.req.valid("param").id;
      const caller = { userId: auth.userId, isAdmin: can(auth, "governance:admin") };
      await onProposal(deps, id, eventMetadata(c, { reason }), (_tx, s) =>
        decideCancel(s, caller, reason ?? null, deps.clock.now()),
      );
      return c.json(await found(id), 200);
    })
    .openapi(veto, async (c) => {
      const { reason } = c.req.valid("json") as { reason: string };
      const id = c.req.valid("param").id;
      await onProposal(deps, id, eventMetadata(c, { reason }), async (tx, s) =>
        decideVeto(s, c.get("auth")!.userId, reason, await activeGuardians(tx), deps.clock.now()),
      );
      return c.json(await found(id), 200);
    })
    .openapi(approve, async (c) => {
      const { reason } = c.req.valid("json") as { reason: string };
      const id = c.req.valid("param").id;
      await onProposal(deps, id, eventMetadata(c, { reason }), (_tx, s) =>
        decideApprove(s, c.get("auth")!.userId, reason),
      );
      return c.json(await found(id), 200);
    })
    .openapi(execute, async (c) => {
      const { reason } = c.req.valid("json") as { reason?: string };
      const id = c.req.valid("param").id;
      await onProposal(deps, id, eventMetadata(c, { reason }), (_tx, s) =>
        decideExecute(s, c.get("auth")!.userId, deps.clock.now()),
      );
      return c.json(await found(id), 200);
    })
    .openapi(power, async (c) => {
      const { power: value, reason } = c.req.valid("json");
      const { userId } = c.req.valid("param");
      return c.json(await assignPower(deps, userId, value, reason, eventMetadata(c, { reason })), 200);
    })
    .openapi(readPower, async (c) => {
      const { userId } = c.req.valid("param");
      return c.json({ userId, power: await currentPower(deps.db, userId) }, 200);
    });
}
