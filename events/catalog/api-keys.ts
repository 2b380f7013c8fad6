/**
 * API keys: one stream `apikey-<uuid>` per key. The key itself never appears:
 * only its SHA-256 (hex) and a short prefix for people to recognise it.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

export const API_KEY_SCOPES = ["read", "write", "admin"] as const;
export const API_KEY_REVOKE_REASONS = ["revoked_by_user", "admin", "account_disabled"] as const;

const keyId = z.uuid();
const userId = z.uuid();

export const ApiKeyCreated = defineEvent({
  type: "ApiKeyCreated",
  domain: "api-keys",
  description:
    "The user created an API key. `keyHash` is SHA-256 of the whole key, `prefix` its first 11 characters; the key was shown once and is stored nowhere.",
  version: 1,
  schema: z.object({
    keyId,
    userId,
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(3),
    prefix: z.string().regex(/^mk_[0-9A-Za-z]{8}$/),
    keyHash: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest"),
    expiresAt: z.iso.datetime().nullable(),
  }),
});

export const ApiKeyRevoked = defineEvent({
  type: "ApiKeyRevoked",
  domain: "api-keys",
  description: "An API key was revoked; it is refused from the next request on.",
  version: 1,
  schema: z.object({ keyId, userId, reason: z.enum(API_KEY_REVOKE_REASONS) }),
});

export const apiKeyEvents = [ApiKeyCreated, ApiKeyRevoked];
