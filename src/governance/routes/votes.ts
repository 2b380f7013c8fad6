/**
 * GET /v1/governance/proposals/{id}/ballot (what to sign), POST …/votes (cast
 * a signed vote), GET …/votes (every vote with what was signed and the
 * signature, for anyone to verify offline).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { guard } from "../../access/route-table.ts";
import type { AuthDeps } from "../../auth/deps.ts";
import { AppError } from "../../http/errors.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { proposalById, votesOf } from "../queries.ts";
import { ballotFor, castVote, chainOf, type VoteDeps } from "../votes.ts";
import { normalizeWallet } from "../wallets.ts";
import { ERRORS, IdParam, jsonBody, ok, oneLine, secured } from "./common.ts";

const Wallet = z.string().min(32).max(64).openapi({ example: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" });
const Choice = oneLine(64).min(1);

const VoteBody = z.object({
  wallet: Wallet,
  choice: Choice,
  reason: oneLine(500).optional(),
  signature: z
    .string()
    .regex(
      /^(0x[0-9a-fA-F]{130}|[1-9A-HJ-NP-Za-km-z]{64,90})$/,
      "0x + 130 hex (Ethereum) or base58 (Solana)",
    ),
  signedAt: z
    .number()
    .int()
    .min(0)
    .max(2 ** 53 - 1)
    .openapi({ description: "Unix seconds, as signed" }),
});

const BallotSchema = z
  .object({
    chain: z.enum(["ethereum", "solana"]),
    typedData: z.record(z.string(), z.unknown()).optional().openapi({
      description: "Ethereum: pass to eth_signTypedData_v4 as is",
    }),
    message: z
      .string()
      .optional()
      .openapi({ description: "Solana: sign these UTF-8 bytes with signMessage" }),
  })
  .openapi("Ballot");

export function votesRouter(deps: VoteDeps & AuthDeps) {
  const { base, security } = secured(deps);
  const ballot = createRoute({
    method: "get",
    path: "/governance/proposals/{id}/ballot",
    tags: ["governance"],
    summary: "Exactly what to sign for a vote: EIP-712 typed data (Ethereum) or the canonical text (Solana)",
    middleware: [...base, guard("GET /v1/governance/proposals/{id}/ballot")],
    security,
    request: {
      params: IdParam,
      query: z.object({
        wallet: Wallet,
        choice: Choice,
        reason: oneLine(500).optional(),
        signedAt: z.coerce
          .number()
          .int()
          .min(0)
          .max(2 ** 53 - 1)
          .optional(),
      }),
    },
    responses: { 200: ok(BallotSchema, "The ballot"), ...ERRORS },
  });
  const cast = createRoute({
    method: "post",
    path: "/governance/proposals/{id}/votes",
    tags: ["governance"],
    summary: "Cast a signed vote",
    middleware: [...base, guard("POST /v1/governance/proposals/{id}/votes")],
    security,
    request: { params: IdParam, ...jsonBody(VoteBody) },
    responses: {
      201: ok(
        z.object({ voteId: z.string(), power: z.number(), choice: z.string(), wallet: z.string() }),
        "Counted",
      ),
      400: problemContent("`signature_invalid`, `signed_at_skew`, `invalid_choice`, `validation_failed`"),
      ...ERRORS,
      409: problemContent("`already_voted`, `voting_closed`"),
    },
  });
  const list = createRoute({
    method: "get",
    path: "/governance/proposals/{id}/votes",
    tags: ["governance"],
    summary: "Every vote with its signed payload and signature",
    middleware: [...base, guard("GET /v1/governance/proposals/{id}/votes")],
    security,
    request: { params: IdParam },
    responses: {
      200: ok(z.object({ votes: z.array(z.record(z.string(), z.unknown())) }), "The votes"),
      ...ERRORS,
    },
  });

  return createRouter()
    .openapi(ballot, async (c) => {
      const id = c.req.valid("param").id;
      const q = c.req.valid("query");
      const p = await proposalById(deps.db, id);
      if (!p) throw new AppError("not_found", "No such proposal");
      if (!p.choices.includes(q.choice))
        throw new AppError("invalid_choice", "Not a choice of this proposal");
      const chain = chainOf(q.wallet);
      const voter = normalizeWallet(chain, q.wallet);
      if (!voter) {
        throw new AppError("validation_failed", "Not a valid wallet address", {
          errors: [{ path: "query.wallet", message: "not an Ethereum or Solana address" }],
        });
      }
      const signedAt = q.signedAt ?? Math.floor(deps.clock.now().getTime() / 1000);
      const fields = { proposalId: id, choice: q.choice, voter, signedAt, reason: q.reason ?? "" };
      return c.json({ chain, ...ballotFor(deps, chain, fields) }, 200);
    })
    .openapi(cast, async (c) => {
      const id = c.req.valid("param").id;
      const vote = await castVote(deps, c.get("auth")!.userId, id, c.req.valid("json"), eventMetadata(c));
      return c.json(vote, 201);
    })
    .openapi(list, async (c) => {
      const id = c.req.valid("param").id;
      if (!(await proposalById(deps.db, id))) throw new AppError("not_found", "No such proposal");
      const votes = await votesOf(deps.db, id);
      return c.json(
        {
          votes: votes.map((v) => ({
            ...v,
            ...ballotFor(
              deps,
              v.chain,
              {
                proposalId: id,
                choice: v.choice,
                voter: v.wallet,
                signedAt: v.signedAt,
                reason: v.reason,
              },
              v.chainId,
            ),
          })),
        },
        200,
      );
    });
}
