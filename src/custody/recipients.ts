/**
 * Who must receive a custody event pushed over the WebSocket: the current
 * guardians of its vault (from the `custody_guardians` projection), plus the
 * guardian a GuardianRemoved is about, so they learn they are out. Nobody
 * else: another vault's guardian gets nothing, exactly as its REST routes 404.
 */
import type { Sql } from "../../db/client.ts";
import { CUSTODY_PUSH_TYPES } from "../../events/catalog/custody.ts";
import type { StoredEvent } from "../../events/types.ts";

export function isCustodyPush(e: Pick<StoredEvent, "type">): boolean {
  return CUSTODY_PUSH_TYPES.includes(e.type);
}

export async function recipientsOf(sql: Sql, e: Pick<StoredEvent, "type" | "data">): Promise<string[]> {
  if (!isCustodyPush(e)) return [];
  const d = e.data as { vaultId?: string; userId?: string };
  if (!d.vaultId) return [];
  const rows = await sql.query<{ user_id: string }>(
    "SELECT user_id FROM custody_guardians WHERE vault_id = $1 AND removed_at IS NULL ORDER BY user_id",
    [d.vaultId],
  );
  const ids = rows.map((r) => r.user_id);
  if (e.type === "GuardianRemoved" && d.userId && !ids.includes(d.userId)) ids.push(d.userId);
  return ids;
}
