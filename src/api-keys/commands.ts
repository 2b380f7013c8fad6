/** Creating and revoking API keys: each an event on the key's own stream. */
import type { Sql } from "../../db/client.ts";
import type { API_KEY_REVOKE_REASONS } from "../../events/catalog/api-keys.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import { grantableScopes, type Scope } from "../access/permissions.ts";
import type { AppDeps } from "../app.ts";
import type { AuthContext } from "../http/env.ts";
import { AppError } from "../http/errors.ts";
import { generateApiKey } from "./key.ts";
import { type ApiKeyState, apiKeyById, apiKeyStream } from "./store.ts";

export type RevokeReason = (typeof API_KEY_REVOKE_REASONS)[number];

export interface CreateApiKey {
  name: string;
  scopes: Scope[];
  expiresAt?: string | undefined;
}

/**
 * A key never does more than its creator: every requested scope must be held by
 * the caller's roles, and, when a key creates a key, by that key too (403).
 */
export async function createApiKey(
  deps: AppDeps,
  auth: AuthContext,
  cmd: CreateApiKey,
  metadata: EventMetadata,
): Promise<{ key: string; state: ApiKeyState }> {
  const allowed = grantableScopes(auth);
  const excess = cmd.scopes.filter((s) => !allowed.includes(s));
  if (excess.length > 0) {
    throw new AppError("forbidden", `You cannot grant the scope(s) ${excess.join(", ")}`, {
      ext: { grantableScopes: allowed },
    });
  }
  const now = deps.clock.now();
  if (cmd.expiresAt !== undefined && new Date(cmd.expiresAt).getTime() <= now.getTime()) {
    throw new AppError("validation_failed", "expiresAt must be in the future", {
      errors: [{ path: "body.expiresAt", message: "must be in the future" }],
    });
  }
  const keyId = crypto.randomUUID();
  const generated = generateApiKey();
  await deps.store.append(
    apiKeyStream(keyId),
    "no_stream",
    [
      {
        type: "ApiKeyCreated",
        data: {
          keyId,
          userId: auth.userId,
          name: cmd.name,
          scopes: [...new Set(cmd.scopes)].sort(),
          prefix: generated.prefix,
          keyHash: generated.hash,
          expiresAt: cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt).toISOString(),
        },
      },
    ],
    metadata,
  );
  const state = await apiKeyById(deps.db, keyId);
  if (!state) throw new Error("api key projection did not record the new key");
  return { key: generated.key, state };
}

const revoked = (k: ApiKeyState, reason: RevokeReason): NewEvent[] =>
  k.revokedAt ? [] : [{ type: "ApiKeyRevoked", data: { keyId: k.keyId, userId: k.userId, reason } }];

export async function revokeApiKey(
  deps: AppDeps,
  key: ApiKeyState,
  reason: RevokeReason,
  metadata: EventMetadata,
): Promise<void> {
  const events = revoked(key, reason);
  if (events.length) await deps.store.append(apiKeyStream(key.keyId), key.version, events, metadata);
}

/** Inside the caller's transaction (disabling a user): every live key of the user, revoked. */
export async function revokeAllApiKeysIn(
  tx: Sql,
  deps: AppDeps,
  userId: string,
  reason: RevokeReason,
  metadata: EventMetadata,
): Promise<number> {
  const rows = await tx.query<{ key_id: string; user_id: string; version: number }>(
    "SELECT key_id, user_id, version FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL FOR UPDATE",
    [userId],
  );
  for (const r of rows) {
    await deps.store.appendIn(
      tx,
      apiKeyStream(r.key_id),
      Number(r.version),
      [{ type: "ApiKeyRevoked", data: { keyId: r.key_id, userId: r.user_id, reason } }],
      metadata,
    );
  }
  return rows.length;
}
