/** POST /v1/wallets/challenge, POST /v1/wallets, GET /v1/wallets, DELETE /v1/wallets/{id}. */
import { createRoute, z } from "@hono/zod-openapi";
import { WALLET_CHAINS } from "../../../events/catalog/governance.ts";
import { guard } from "../../access/route-table.ts";
import type { AuthDeps } from "../../auth/deps.ts";
import { eventMetadata } from "../../http/metadata.ts";
import { createRouter, problemContent } from "../../http/router.ts";
import { issueChallenge, linkWallet, unlinkWallet, walletsOf } from "../wallets.ts";
import { ERRORS, IdParam, jsonBody, ok, secured } from "./common.ts";

const WalletSchema = z
  .object({
    walletId: z.uuid(),
    chain: z.enum(WALLET_CHAINS),
    address: z.string().openapi({ example: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" }),
    linkedAt: z.string(),
  })
  .openapi("Wallet");

const ChallengeBody = z.object({
  chain: z.enum(WALLET_CHAINS),
  address: z.string().min(32).max(64).openapi({ example: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" }),
});

const LinkBody = z.object({
  message: z.string().min(1).max(2000).openapi({ description: "The challenge message, exactly as issued" }),
  signature: z.string().min(1).max(200).openapi({
    description: "Ethereum: personal_sign result, 0x + 130 hex. Solana: base58 ed25519 signature.",
  }),
});

export function walletsRouter(deps: AuthDeps) {
  const { base, security } = secured(deps);
  const challenge = createRoute({
    method: "post",
    path: "/wallets/challenge",
    tags: ["wallets"],
    summary:
      "A Sign-In with Ethereum (EIP-4361) message to sign with the wallet; valid 5 minutes, single use",
    middleware: [...base, guard("POST /v1/wallets/challenge")],
    security,
    request: jsonBody(ChallengeBody),
    responses: {
      201: ok(z.object({ message: z.string(), nonce: z.string(), expiresAt: z.string() }), "The challenge"),
      ...ERRORS,
    },
  });
  const link = createRoute({
    method: "post",
    path: "/wallets",
    tags: ["wallets"],
    summary: "Link a wallet: the signed challenge (EIP-191 personal_sign, or ed25519 for Solana)",
    middleware: [...base, guard("POST /v1/wallets")],
    security,
    request: jsonBody(LinkBody),
    responses: {
      201: ok(WalletSchema, "The linked wallet"),
      400: problemContent(
        "`malformed_message`, `challenge_unknown`, `challenge_expired`, `signature_invalid`, `validation_failed`",
      ),
      409: problemContent("`challenge_used`, `address_taken`"),
      ...ERRORS,
    },
  });
  const list = createRoute({
    method: "get",
    path: "/wallets",
    tags: ["wallets"],
    summary: "Your linked wallets",
    middleware: [...base, guard("GET /v1/wallets")],
    security,
    responses: { 200: ok(z.object({ wallets: z.array(WalletSchema) }), "Your wallets"), ...ERRORS },
  });
  const unlink = createRoute({
    method: "delete",
    path: "/wallets/{id}",
    tags: ["wallets"],
    summary: "Unlink one of your wallets",
    middleware: [...base, guard("DELETE /v1/wallets/{id}")],
    security,
    request: { params: IdParam },
    responses: { 204: { description: "Unlinked" }, ...ERRORS },
  });

  const view = ({ walletId, chain, address, linkedAt }: Awaited<ReturnType<typeof linkWallet>>) => ({
    walletId,
    chain,
    address,
    linkedAt,
  });
  return createRouter()
    .openapi(challenge, async (c) => {
      const { chain, address } = c.req.valid("json");
      const auth = c.get("auth")!;
      return c.json(await issueChallenge(deps, auth.userId, chain, address, eventMetadata(c)), 201);
    })
    .openapi(link, async (c) => {
      const { message, signature } = c.req.valid("json");
      const auth = c.get("auth")!;
      return c.json(view(await linkWallet(deps, auth.userId, message, signature, eventMetadata(c))), 201);
    })
    .openapi(list, async (c) => {
      const wallets = await walletsOf(deps.db, c.get("auth")!.userId);
      return c.json({ wallets: wallets.map(view) }, 200);
    })
    .openapi(unlink, async (c) => {
      await unlinkWallet(deps, c.get("auth")!.userId, c.req.valid("param").id, eventMetadata(c));
      return c.body(null, 204);
    });
}
