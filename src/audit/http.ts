/** What the audit routes share: guards, schemas of hashes, positions and sizes. */
import { z } from "@hono/zod-openapi";

export { AUTH_PROBLEMS, guards, json, limitParam } from "../security/http.ts";

/** A non-negative integer query value, as a safe JS number (a ledger position or tree size). */
export const count = (description: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, "a non-negative integer")
    .transform(Number)
    .refine(Number.isSafeInteger, "too large")
    .openapi({ type: "string", description, example: "1000" });

export const HashHex = z.string().openapi({ description: "SHA-256, lowercase hex", example: "9f86d08…" });

export const CheckpointSchema = z
  .object({
    treeSize: z.number().int(),
    rootHash: HashHex,
    note: z.string().openapi({
      description: "The C2SP signed note: origin, tree size, base64 root hash, blank line, signature line",
    }),
    keyId: z.string().openapi({ description: "The signing key's id (hex of the signed-note key ID)" }),
    signedAt: z.string(),
  })
  .openapi("LedgerCheckpoint");
