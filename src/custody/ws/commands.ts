/**
 * The custody commands a guardian may send over the socket: the same plain
 * functions, zod schemas and error codes as the REST routes
 * (src/custody/commands.ts), so both paths run one decider. A frame is
 * `{"type": <command>, "id"?: …, <ids>, <the REST body's fields>}`; the answer
 * is `{"type":"result","id","command","result"}` with what the REST route
 * returns, or an error frame with the same problem code and status.
 *
 * Permissions are checked here as the route table does for REST (custody:sign
 * to act, custody:read to read); vault access (404 for another vault) inside
 * the commands, through canAccessVault.
 */
import { z } from "zod";
import { hasPermission, type Permission } from "../../access/permissions.ts";
import type { AppDeps } from "../../app.ts";
import { requireAuthDeps } from "../../auth/deps.ts";
import { AppError } from "../../http/errors.ts";
import {
  CommitmentBody,
  DkgRound1Body,
  DkgRound2Body,
  getDkg,
  getTransaction,
  getVault,
  listVaults,
  ProposeBody,
  PublicPackageBody,
  proposeTransaction,
  runDkgRound,
  ShareBody,
  submitCommitment,
  submitShare,
} from "../commands.ts";
import { loadVault } from "../context.ts";
import type { TransactionState } from "../transaction.ts";
import { dkgView, transactionView } from "../views.ts";
import type { CommandContext, SocketCommand } from "./connection.ts";

const requestId = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);

/** The frame: its type, optional request id, the ids it addresses and the REST body's fields. */
const frame = <T extends string, S extends z.ZodRawShape, B extends z.ZodType>(type: T, ids: S, body?: B) => {
  const head = z.strictObject({ type: z.literal(type), id: requestId.optional(), ...ids });
  if (!body) return head;
  // The body's own schema validates the rest, exactly as REST does.
  return head.catchall(z.unknown()).transform((m, ctx) => {
    const { type: _t, id: _i, ...rest } = m as Record<string, unknown>;
    for (const k of Object.keys(ids)) delete rest[k];
    const parsed = body.safeParse(rest);
    if (!parsed.success) {
      for (const i of parsed.error.issues) ctx.addIssue({ ...i, path: i.path } as never);
      return z.NEVER;
    }
    return { ...m, body: parsed.data as z.infer<B> };
  });
};

function allowed(ctx: CommandContext, permission: Permission): void {
  if (!hasPermission(ctx.auth.roles, permission)) {
    throw new AppError("forbidden", `This needs the ${permission} permission`);
  }
}

const TRANSACTION = { transactionId: z.uuid() };
const VAULT = { vaultId: z.uuid() };

export function custodySocketCommands(appDeps: AppDeps): ReadonlyMap<string, SocketCommand> {
  const deps = requireAuthDeps(appDeps);
  const view = async (t: TransactionState) => transactionView(t, await loadVault(deps, t.vaultId));
  const commands: SocketCommand[] = [
    {
      type: "submit_commitment",
      schema: frame("submit_commitment", TRANSACTION, CommitmentBody),
      async run(ctx, m: { transactionId: string; body: z.infer<typeof CommitmentBody> }) {
        allowed(ctx, "custody:sign");
        return view(await submitCommitment(deps, ctx.auth, m.transactionId, m.body, ctx.metadata));
      },
    },
    {
      type: "submit_share",
      schema: frame("submit_share", TRANSACTION, ShareBody),
      async run(ctx, m: { transactionId: string; body: z.infer<typeof ShareBody> }) {
        allowed(ctx, "custody:sign");
        return view(await submitShare(deps, ctx.auth, m.transactionId, m.body, ctx.metadata));
      },
    },
    {
      type: "propose_transaction",
      schema: frame("propose_transaction", VAULT, ProposeBody),
      async run(ctx, m: { vaultId: string; body: z.infer<typeof ProposeBody> }) {
        allowed(ctx, "custody:sign");
        return view(await proposeTransaction(deps, ctx.auth, m.vaultId, m.body, ctx.metadata));
      },
    },
    ...(
      [
        [1, DkgRound1Body],
        [2, DkgRound2Body],
        [3, PublicPackageBody],
      ] as const
    ).map(
      ([round, body]): SocketCommand => ({
        type: `dkg_round${round}`,
        schema: frame(`dkg_round${round}`, VAULT, body),
        async run(ctx, m: { vaultId: string; body: never }) {
          allowed(ctx, "custody:sign");
          const v = await runDkgRound(deps, ctx.auth, m.vaultId, { round, body: m.body }, ctx.metadata);
          return dkgView(v, ctx.auth.userId);
        },
      }),
    ),
    {
      type: "get_transaction",
      schema: frame("get_transaction", TRANSACTION),
      async run(ctx, m: { transactionId: string }) {
        allowed(ctx, "custody:read");
        return getTransaction(deps, ctx.auth, m.transactionId);
      },
    },
    {
      type: "get_vault",
      schema: frame("get_vault", VAULT),
      async run(ctx, m: { vaultId: string }) {
        allowed(ctx, "custody:read");
        return getVault(deps, ctx.auth, m.vaultId);
      },
    },
    {
      type: "get_dkg",
      schema: frame("get_dkg", VAULT),
      async run(ctx, m: { vaultId: string }) {
        allowed(ctx, "custody:read");
        return getDkg(deps, ctx.auth, m.vaultId);
      },
    },
    {
      type: "list_vaults",
      schema: frame("list_vaults", {}),
      async run(ctx) {
        allowed(ctx, "custody:read");
        return { vaults: await listVaults(deps, ctx.auth) };
      },
    },
  ];
  return new Map(commands.map((c) => [c.type, c]));
}
