/** Vault routes under /v1/custody: create, list, read, invite, redeem, remove, DKG, import, lifecycle. */
import { z } from "@hono/zod-openapi";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError, zodFieldIssues } from "../http/errors.ts";
import { eventMetadata } from "../http/metadata.ts";
import { createRouter } from "../http/router.ts";
import { type DkgInput, runDkgRound } from "./dkg.ts";
import { DkgSchema, input, jsonBody, mount, routeKit, VaultSchema } from "./route-kit.ts";
import {
  CreateVaultBody,
  DkgRound1Body,
  DkgRound2Body,
  DkgRoundParam,
  GuardianParam,
  InviteBody,
  PublicPackageBody,
  ReasonBody,
  RedeemBody,
  RemoveGuardianQuery,
  VaultIdParam,
} from "./schemas.ts";
import {
  changeVaultStatus,
  createVault,
  importKey,
  inviteGuardian,
  redeemInvitation,
  removeGuardian,
} from "./vault-commands.ts";
import { dkgView, getDkg, getVault, listVaults, vaultView } from "./views.ts";

const InvitationSchema = z
  .object({ invitationId: z.uuid(), expiresAt: z.string() })
  .openapi("CustodyInvitation");
const VaultList = z.object({ vaults: z.array(VaultSchema) });
type Id = { id: string };

/** Rounds 1, 2 and 3 take different bodies: parsed once the round is known. */
const DKG_BODIES = { "1": DkgRound1Body, "2": DkgRound2Body, "3": PublicPackageBody } as const;
const DkgAnyBody = z.union([DkgRound1Body, DkgRound2Body, PublicPackageBody]);

export function vaultRouter(deps: AuthDeps) {
  const route = routeKit(deps);
  const router = createRouter();

  mount(
    router,
    route({
      method: "post",
      path: "/custody/vaults",
      table: "POST /v1/custody/vaults",
      summary: "Create a vault (admin): name, ciphersuite, threshold t of n participants",
      request: jsonBody(CreateVaultBody),
      status: 201,
      schema: VaultSchema,
    }),
    async (c) => {
      const body = input<z.infer<typeof CreateVaultBody>>(c, "json");
      return c.json(vaultView(await createVault(deps, c.get("auth"), body, eventMetadata(c))), 201);
    },
  );
  mount(
    router,
    route({
      method: "get",
      path: "/custody/vaults",
      table: "GET /v1/custody/vaults",
      summary: "The vaults you may see (admins and viewers: all; guardians: theirs)",
      schema: VaultList,
    }),
    async (c) => c.json({ vaults: await listVaults(deps, c.get("auth")) }, 200),
  );
  mount(
    router,
    route({
      method: "get",
      path: "/custody/vaults/{id}",
      table: "GET /v1/custody/vaults/{id}",
      summary: "A vault: guardians with FROST identifiers, key status, group public key",
      request: { params: VaultIdParam },
      schema: VaultSchema,
    }),
    async (c) => c.json(await getVault(deps, c.get("auth"), input<Id>(c, "param").id), 200),
  );
  mount(
    router,
    route({
      method: "post",
      path: "/custody/vaults/{id}/invitations",
      table: "POST /v1/custody/vaults/{id}/invitations",
      summary: "Invite a guardian (admin): a single-use code is emailed; only its hash is kept",
      request: { params: VaultIdParam, ...jsonBody(InviteBody) },
      status: 202,
      schema: InvitationSchema,
    }),
    async (c) => {
      const body = input<z.infer<typeof InviteBody>>(c, "json");
      const r = await inviteGuardian(deps, c.get("auth"), input<Id>(c, "param").id, body, eventMetadata(c));
      return c.json(r, 202);
    },
  );
  mount(
    router,
    route({
      method: "post",
      path: "/custody/invitations/redeem",
      table: "POST /v1/custody/invitations/redeem",
      summary: "Redeem an invitation code: become a guardian, registering your X25519 transport public key",
      request: jsonBody(RedeemBody),
      schema: VaultSchema,
    }),
    async (c) => {
      const body = input<z.infer<typeof RedeemBody>>(c, "json");
      return c.json(vaultView(await redeemInvitation(deps, c.get("auth"), body, eventMetadata(c))), 200);
    },
  );
  mount(
    router,
    route({
      method: "delete",
      path: "/custody/vaults/{id}/guardians/{userId}",
      table: "DELETE /v1/custody/vaults/{id}/guardians/{userId}",
      summary: "Remove a guardian (admin); a DKG in progress starts over",
      request: { params: GuardianParam, query: RemoveGuardianQuery },
      schema: VaultSchema,
    }),
    async (c) => {
      const { id, userId } = input<{ id: string; userId: string }>(c, "param");
      const reason = input<{ reason?: string }>(c, "query").reason ?? "removed by an admin";
      const meta = eventMetadata(c, { reason });
      return c.json(
        vaultView(await removeGuardian(deps, c.get("auth"), id, userId.toLowerCase(), reason, meta)),
        200,
      );
    },
  );
  mount(
    router,
    route({
      method: "post",
      path: "/custody/vaults/{id}/dkg/{round}",
      table: "POST /v1/custody/vaults/{id}/dkg/{round}",
      summary:
        "Your DKG package: round 1 (broadcast), 2 (a ciphertext per recipient), 3 (the final public package)",
      request: { params: DkgRoundParam, ...jsonBody(DkgAnyBody) },
      schema: DkgSchema,
    }),
    async (c) => {
      const { id, round } = input<{ id: string; round: "1" | "2" | "3" }>(c, "param");
      const parsed = DKG_BODIES[round].safeParse(input(c, "json"));
      if (!parsed.success) {
        throw new AppError("validation_failed", "The request has invalid fields", {
          errors: zodFieldIssues(parsed.error, "json"),
        });
      }
      const dkg = { round: Number(round), body: parsed.data } as DkgInput;
      const v = await runDkgRound(deps, c.get("auth"), id, dkg, eventMetadata(c));
      return c.json(dkgView(v, c.get("auth").userId), 200);
    },
  );
  mount(
    router,
    route({
      method: "get",
      path: "/custody/vaults/{id}/dkg",
      table: "GET /v1/custody/vaults/{id}/dkg",
      summary:
        "The DKG transcript: round-1 packages, round-2 ciphertexts addressed to you, who reported round 3",
      request: { params: VaultIdParam },
      schema: DkgSchema,
    }),
    async (c) => c.json(await getDkg(deps, c.get("auth"), input<Id>(c, "param").id), 200),
  );
  mount(
    router,
    route({
      method: "post",
      path: "/custody/vaults/{id}/key",
      table: "POST /v1/custody/vaults/{id}/key",
      summary: "Import a public key package made elsewhere (admin), validated against the vault's guardians",
      request: { params: VaultIdParam, ...jsonBody(PublicPackageBody) },
      schema: VaultSchema,
    }),
    async (c) => {
      const body = input<z.infer<typeof PublicPackageBody>>(c, "json");
      const v = await importKey(deps, c.get("auth"), input<Id>(c, "param").id, body, eventMetadata(c));
      return c.json(vaultView(v), 200);
    },
  );
  for (const [action, summary] of [
    ["freeze", "Freeze the vault (admin): it signs nothing, and open transactions expire"],
    ["unfreeze", "Unfreeze a frozen vault (admin)"],
    ["archive", "Archive the vault for good (admin)"],
  ] as const) {
    mount(
      router,
      route({
        method: "post",
        path: `/custody/vaults/{id}/${action}`,
        table: `POST /v1/custody/vaults/{id}/${action}`,
        summary,
        request: { params: VaultIdParam, ...jsonBody(ReasonBody) },
        schema: VaultSchema,
      }),
      async (c) => {
        const { reason } = input<{ reason: string }>(c, "json");
        const meta = eventMetadata(c, { reason });
        const v = await changeVaultStatus(
          deps,
          c.get("auth"),
          input<Id>(c, "param").id,
          action,
          reason,
          meta,
        );
        return c.json(vaultView(v), 200);
      },
    );
  }
  return router;
}
