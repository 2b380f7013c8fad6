/**
 * Who may see a custody vault: admins and viewers (read-only) every vault, a
 * guardian only the vaults they currently guard. Everything that shows or acts
 * on a vault (REST routes, the WebSocket, its pushes) asks here, and answers a
 * vault the caller may not see exactly like one that does not exist (404).
 */
import type { Sql } from "../../db/client.ts";
import type { AuthContext } from "../http/env.ts";
import { AppError } from "../http/errors.ts";

/** Roles that read every vault (the others see the vaults they guard). */
const SEE_ALL: readonly string[] = ["admin", "viewer"];

export const seesAllVaults = (auth: Pick<AuthContext, "roles">) =>
  auth.roles.some((r) => SEE_ALL.includes(r));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function isVaultGuardian(sql: Sql, userId: string, vaultId: string): Promise<boolean> {
  if (!UUID.test(vaultId)) return false;
  const rows = await sql.query(
    "SELECT 1 FROM custody_guardians WHERE vault_id = $1 AND user_id = $2 AND removed_at IS NULL",
    [vaultId, userId],
  );
  return rows.length > 0;
}

export async function canAccessVault(
  sql: Sql,
  auth: Pick<AuthContext, "userId" | "roles">,
  vaultId: string,
): Promise<boolean> {
  if (!UUID.test(vaultId)) return false;
  if (seesAllVaults(auth)) {
    return (await sql.query("SELECT 1 FROM custody_vaults WHERE vault_id = $1", [vaultId])).length > 0;
  }
  return isVaultGuardian(sql, auth.userId, vaultId);
}

/** canAccessVault, or 404 `not_found`. */
export async function assertVaultAccess(
  sql: Sql,
  auth: Pick<AuthContext, "userId" | "roles">,
  vaultId: string,
): Promise<void> {
  if (!(await canAccessVault(sql, auth, vaultId))) throw new AppError("not_found", "No such vault");
}
