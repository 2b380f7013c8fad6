/**
 * Request schemas of every custody command, shared by the REST routes and the
 * WebSocket transport so both validate the same way. Hex fields accept any
 * even-length hex here; the exact length and whether the bytes are a valid
 * point or scalar are checked by the commands (codes `invalid_length`,
 * `invalid_point`, `invalid_scalar`), which know the vault's ciphersuite.
 */
import { z } from "@hono/zod-openapi";
import { CHAINS, CIPHERSUITES } from "../../events/catalog/custody.ts";

export const Hex = (max = 1024) =>
  z
    .string()
    .max(max)
    .regex(/^(?:[0-9a-fA-F]{2})+$/, "must be hex (pairs of 0-9a-f)")
    .openapi({ example: "5866666666666666666666666666666666666666666666666666666666666666" });

const Reason = z.string().trim().min(3).max(500).openapi({ example: "ticket SEC-77: guardian device lost" });
/** Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width) and line/paragraph separators. */
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const VaultIdParam = z.object({ id: z.uuid() });
export const TxIdParam = z.object({ id: z.uuid() });
export const GuardianParam = z.object({ id: z.uuid(), userId: z.uuid() });
export const DkgRoundParam = z.object({ id: z.uuid(), round: z.enum(["1", "2", "3"]) });

export const CreateVaultBody = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "Treasury cold wallet" }),
    ciphersuite: z.enum(CIPHERSUITES).openapi({ example: "ed25519" }),
    threshold: z.number().int().min(2).max(15).openapi({ example: 2 }),
    participants: z.number().int().min(2).max(15).openapi({ example: 3 }),
  })
  .refine((b) => b.threshold <= b.participants, {
    path: ["threshold"],
    message: "must not exceed participants",
  });
export type CreateVault = z.infer<typeof CreateVaultBody>;

export const InviteBody = z.object({ email: z.email().max(254) });
export type Invite = z.infer<typeof InviteBody>;

export const RedeemBody = z.object({
  code: z.string().min(16).max(200),
  transportPublicKey: Hex(256).openapi({ description: "The guardian's X25519 public key (32 bytes)" }),
});
export type Redeem = z.infer<typeof RedeemBody>;

export const ReasonBody = z.object({ reason: Reason });
export const RemoveGuardianQuery = z.object({ reason: Reason.optional() });

export const DkgRound1Body = z.object({
  commitment: z.array(Hex(256)).min(1).max(15),
  proofOfKnowledge: Hex(512),
});
export const DkgRound2Body = z.object({
  packages: z
    .array(
      z.object({
        to: z.uuid().openapi({ description: "The recipient guardian's user id" }),
        ciphertext: Hex(2048).openapi({
          description: "The round-2 package encrypted to the recipient's transport key",
        }),
      }),
    )
    .min(1)
    .max(14),
});
export const PublicPackageBody = z.object({
  commitments: z
    .array(Hex(256))
    .min(1)
    .max(15)
    .openapi({ description: "VSS commitments; the first is the group key" }),
  verifyingShares: z
    .record(z.string().regex(/^[0-9a-fA-F]{64}$/, "must be a 32-byte hex FROST identifier"), Hex(256))
    .openapi({ description: "FROST identifier (hex) → verifying share (point, hex)" }),
});
export type PublicPackageInput = z.infer<typeof PublicPackageBody>;
export type DkgRound1 = z.infer<typeof DkgRound1Body>;
export type DkgRound2 = z.infer<typeof DkgRound2Body>;

export const ProposeBody = z.object({
  chain: z.enum(CHAINS).openapi({ example: "bitcoin" }),
  destination: z.string().min(1).max(128).openapi({ example: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" }),
  amount: z.string().min(1).max(64).openapi({ example: "0.015" }),
  memo: z
    .string()
    .max(256)
    .refine((m) => !CONTROL.test(m), "must not contain control characters")
    .optional(),
});
export type Propose = z.infer<typeof ProposeBody>;

export const CommitmentBody = z.object({ hiding: Hex(256), binding: Hex(256) });
export type CommitmentInput = z.infer<typeof CommitmentBody>;

export const ShareBody = z.object({ share: Hex(256) });
export type ShareInput = z.infer<typeof ShareBody>;
