/**
 * GET /v1/audit/proofs/inclusion?event=&size= and GET /v1/audit/proofs/consistency?from=&to=.
 *
 * Each proof is computed from the stored complete subtrees. An inclusion proof
 * costs one round trip (inclusion.ts): the event's position with the few nodes
 * near its leaf, while the upper levels every proof shares are kept in memory
 * (a stored node never changes). A consistency proof fetches its O(log n)
 * nodes, the upper ones from the same cache.
 * The signed checkpoint of the size asked for is attached when one exists, so
 * a client can check the proof against a signature in one round trip.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { consistencyAt, ledgerSize } from "../../events/ledger/tree-store.ts";
import type { AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { createRouter, problemContent } from "../http/router.ts";
import { AUTH_PROBLEMS, CheckpointSchema, count, guards, HashHex, json } from "./http.ts";
import { InclusionProofs, inclusionJson } from "./inclusion.ts";
import { checkpointAt, checkSize, hex, latestCheckpoint } from "./ledger.ts";

const InclusionSchema = z
  .object({
    eventId: z.string(),
    leafIndex: z.number().int().openapi({ description: "The event's ledger position" }),
    treeSize: z.number().int(),
    leafHash: HashHex.openapi({ description: "SHA-256(0x00 ‖ the event's stored hash)" }),
    auditPath: z.array(HashHex).openapi({ description: "RFC 9162 §2.1.3 inclusion proof, leaf to root" }),
    rootHash: HashHex,
    checkpoint: CheckpointSchema.nullable(),
  })
  .openapi("InclusionProof");

const ConsistencySchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    fromRoot: HashHex,
    toRoot: HashHex,
    proof: z.array(HashHex).openapi({ description: "RFC 9162 §2.1.4 consistency proof" }),
    checkpoints: z.object({ from: CheckpointSchema.nullable(), to: CheckpointSchema.nullable() }),
  })
  .openapi("ConsistencyProof");

const PROOF_PROBLEMS = {
  400: problemContent("`validation_failed`"),
  ...AUTH_PROBLEMS,
  404: problemContent("`not_found`: no such event in the ledger (yet), or nothing signed yet"),
  422: problemContent("`unprocessable`: a size beyond the ledger, or an event not in a tree that small"),
} as const;

export function proofsRouter(deps: AppDeps) {
  const secured = guards(deps);
  const inclusions = new InclusionProofs(deps.db);
  const inclusion = createRoute({
    method: "get",
    path: "/audit/proofs/inclusion",
    tags: ["audit"],
    summary: "Proof that an event is in the tree of a given size",
    ...secured("GET /v1/audit/proofs/inclusion"),
    request: {
      query: z.object({
        event: z.uuid().openapi({ description: "The event id" }),
        size: count("tree size; default: the latest checkpoint's").optional(),
      }),
    },
    responses: { 200: json(InclusionSchema, "The proof"), ...PROOF_PROBLEMS },
  });
  const consistency = createRoute({
    method: "get",
    path: "/audit/proofs/consistency",
    tags: ["audit"],
    summary: "Proof that the tree of size `from` is a prefix of the tree of size `to`",
    ...secured("GET /v1/audit/proofs/consistency"),
    request: {
      query: z.object({
        from: count("the older tree size"),
        to: count("the newer tree size; default: the latest checkpoint's").optional(),
      }),
    },
    responses: { 200: json(ConsistencySchema, "The proof"), ...PROOF_PROBLEMS },
  });

  const defaultSize = async () => {
    const cp = await latestCheckpoint(deps.db);
    if (!cp) throw new AppError("not_found", "No checkpoint has been signed yet; pass a size");
    return cp.treeSize;
  };

  return createRouter()
    .openapi(inclusion, async (c) => {
      const q = c.req.valid("query");
      const p = await inclusions.prove(q.event, q.size);
      // Written directly (inclusion.ts), the shared hashes' hex made once: JSON.stringify and hex
      // encoding were a good part of a proof's CPU.
      return c.body(inclusionJson(p), 200, {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
      }) as unknown as TypedResponse<z.infer<typeof InclusionSchema>, 200, "json">;
    })
    .openapi(consistency, async (c) => {
      const q = c.req.valid("query");
      const to = q.to ?? (await defaultSize());
      checkSize(to, await ledgerSize(deps.db), "to");
      if (q.from > to) throw new AppError("unprocessable", `from (${q.from}) is larger than to (${to})`);
      const [p, cpFrom, cpTo] = await Promise.all([
        consistencyAt(deps.db, q.from, to, inclusions.nodes),
        checkpointAt(deps.db, q.from),
        checkpointAt(deps.db, to),
      ]);
      return c.json(
        {
          from: q.from,
          to,
          fromRoot: hex(p.root1),
          toRoot: hex(p.root2),
          proof: p.proof.map(hex),
          checkpoints: { from: cpFrom ?? null, to: cpTo ?? null },
        },
        200,
      );
    });
}
