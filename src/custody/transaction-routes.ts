/** Transaction routes under /v1/custody: propose, read, commit, share, cancel. */
import type { z } from "@hono/zod-openapi";
import type { AuthDeps } from "../auth/deps.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter } from "../http/router.ts";
import { loadVault } from "./context.ts";
import { input, jsonBody, mount, routeKit, TransactionSchema } from "./route-kit.ts";
import { CommitmentBody, ProposeBody, ReasonBody, ShareBody, TxIdParam, VaultIdParam } from "./schemas.ts";
import { cancelTransaction, proposeTransaction, submitCommitment, submitShare } from "./signing.ts";
import type { TransactionState } from "./transaction.ts";
import { getTransaction, transactionView } from "./views.ts";

type Id = { id: string };

export function transactionRouter(deps: AuthDeps) {
  const route = routeKit(deps);
  const router = createRouter();
  const view = async (t: TransactionState) => transactionView(t, await loadVault(deps, t.vaultId));
  const txRoute = (path: "commitments" | "shares" | "cancel", summary: string, schema: z.ZodType) =>
    route({
      method: "post",
      path: `/custody/transactions/{id}/${path}`,
      table: `POST /v1/custody/transactions/{id}/${path}`,
      summary,
      request: { params: TxIdParam, ...jsonBody(schema) },
      schema: TransactionSchema,
    });

  mount(
    router,
    route({
      method: "post",
      path: "/custody/vaults/{id}/transactions",
      table: "POST /v1/custody/vaults/{id}/transactions",
      summary: "Propose a transaction (a guardian of an active vault); round 1 opens at once",
      request: { params: VaultIdParam, ...jsonBody(ProposeBody) },
      status: 201,
      schema: TransactionSchema,
    }),
    async (c) => {
      const body = input<z.infer<typeof ProposeBody>>(c, "json");
      const t = await proposeTransaction(
        deps,
        c.get("auth"),
        input<Id>(c, "param").id,
        body,
        eventMetadata(c),
      );
      return c.json(await view(t), 201);
    },
  );
  mount(
    router,
    route({
      method: "get",
      path: "/custody/transactions/{id}",
      table: "GET /v1/custody/transactions/{id}",
      summary: "A transaction: state, round, message to sign, signer set, commitments, final signature",
      request: { params: TxIdParam },
      schema: TransactionSchema,
    }),
    async (c) => c.json(await getTransaction(deps, c.get("auth"), input<Id>(c, "param").id), 200),
  );
  mount(
    router,
    txRoute(
      "commitments",
      "Submit your nonce commitments (hiding, binding) for the current round",
      CommitmentBody,
    ),
    async (c) => {
      const body = input<z.infer<typeof CommitmentBody>>(c, "json");
      const t = await submitCommitment(deps, c.get("auth"), input<Id>(c, "param").id, body, eventMetadata(c));
      return c.json(await view(t), 200);
    },
  );
  mount(
    router,
    txRoute("shares", "Submit your signature share; it is verified on arrival", ShareBody),
    async (c) => {
      const body = input<z.infer<typeof ShareBody>>(c, "json");
      const t = await submitShare(deps, c.get("auth"), input<Id>(c, "param").id, body, eventMetadata(c));
      return c.json(await view(t), 200);
    },
  );
  mount(
    router,
    txRoute("cancel", "Cancel the transaction (its proposer or an admin)", ReasonBody),
    async (c) => {
      const { reason } = input<z.infer<typeof ReasonBody>>(c, "json");
      const t = await cancelTransaction(
        deps,
        c.get("auth"),
        input<Id>(c, "param").id,
        reason,
        eventMetadata(c, { reason }),
      );
      return c.json(await view(t), 200);
    },
  );
  return router;
}
