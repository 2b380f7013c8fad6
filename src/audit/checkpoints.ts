/**
 * GET /v1/audit/checkpoints/latest, GET /v1/audit/checkpoints?size=|before=&limit=,
 * GET /v1/audit/checkpoint-keys, and (public) GET /.well-known/vigil-checkpoint-key.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../app.ts";
import { AppError } from "../http/errors.ts";
import { createRouter, problemContent } from "../http/router.ts";
import type { CheckpointKeys } from "./checkpoint-keys.ts";
import { AUTH_PROBLEMS, CheckpointSchema, count, guards, json, limitParam } from "./http.ts";
import { checkpointAt, checkpointPage, latestCheckpoint } from "./ledger.ts";

const KeySchema = z
  .object({
    keyId: z.string(),
    verifierKey: z.string().openapi({ example: "localhost:3000/vigil-ledger+1a2b3c4d+AU…" }),
    createdAt: z.string(),
    retiredAt: z.string().nullable(),
  })
  .openapi("CheckpointKey");

export function checkpointsRouter(deps: AppDeps, keys: CheckpointKeys) {
  const secured = guards(deps);
  const latest = createRoute({
    method: "get",
    path: "/audit/checkpoints/latest",
    tags: ["audit"],
    summary: "The latest signed checkpoint of the ledger",
    ...secured("GET /v1/audit/checkpoints/latest"),
    responses: {
      200: json(CheckpointSchema, "The checkpoint"),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: nothing has been signed yet"),
    },
  });
  const list = createRoute({
    method: "get",
    path: "/audit/checkpoints",
    tags: ["audit"],
    summary: "The checkpoint of one tree size, or the latest checkpoints newest first",
    ...secured("GET /v1/audit/checkpoints"),
    request: {
      query: z.object({
        size: count("the tree size of the checkpoint wanted").optional(),
        before: count("only checkpoints of smaller trees (paging)").optional(),
        limit: limitParam(500, 50),
      }),
    },
    responses: {
      200: json(
        z.object({ checkpoints: z.array(CheckpointSchema), nextBefore: z.number().int().nullable() }),
        "Checkpoints, newest first (exactly one with `size`)",
      ),
      400: problemContent("`validation_failed`"),
      ...AUTH_PROBLEMS,
      404: problemContent("`not_found`: no checkpoint was signed at that size"),
    },
  });
  const keyList = createRoute({
    method: "get",
    path: "/audit/checkpoint-keys",
    tags: ["audit"],
    summary: "Every checkpoint signing key, current first (retired keys still verify old checkpoints)",
    ...secured("GET /v1/audit/checkpoint-keys"),
    responses: { 200: json(z.object({ keys: z.array(KeySchema) }), "Keys"), ...AUTH_PROBLEMS },
  });

  return createRouter()
    .openapi(latest, async (c) => {
      const cp = await latestCheckpoint(deps.db);
      if (!cp) throw new AppError("not_found", "No checkpoint has been signed yet");
      return c.json(cp, 200, { "Cache-Control": "no-store" });
    })
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      if (q.size !== undefined) {
        const cp = await checkpointAt(deps.db, q.size);
        if (!cp) throw new AppError("not_found", `No checkpoint was signed at size ${q.size}`);
        return c.json({ checkpoints: [cp], nextBefore: null }, 200);
      }
      const page = await checkpointPage(deps.db, q.limit, q.before);
      const next = page.length === q.limit ? page.at(-1)!.treeSize : null;
      return c.json({ checkpoints: page, nextBefore: next }, 200);
    })
    .openapi(keyList, async (c) => {
      await keys.current();
      const all = await keys.list();
      return c.json(
        {
          keys: all.map((k) => ({
            keyId: k.keyId,
            verifierKey: k.verifierKey,
            createdAt: k.createdAt.toISOString(),
            retiredAt: k.retiredAt?.toISOString() ?? null,
          })),
        },
        200,
      );
    });
}

const wellKnown = createRoute({
  method: "get",
  path: "/.well-known/vigil-checkpoint-key",
  tags: ["audit"],
  summary: "The current checkpoint verifier key (C2SP signed-note format: name+keyid+base64 key)",
  responses: {
    200: {
      description: "One line: the verifier key",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

/** Public: anyone holding a checkpoint must be able to get the key that verifies it. */
export function checkpointKeyRouter(keys: CheckpointKeys) {
  return createRouter().openapi(wellKnown, async (c) => {
    const key = await keys.current();
    return c.text(`${key.verifierKey}\n`, 200, { "Cache-Control": "public, max-age=300" });
  });
}
