/** What every custody command runs on, and the loading and access steps they share. */
import { handle, loadState } from "../../events/handle.ts";
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import { assertVaultAccess, canAccessVault } from "../access/vaults.ts";
import type { AuthDeps } from "../auth/deps.ts";
import type { AuthContext } from "../http/env.ts";
import { AppError } from "../http/errors.ts";
import {
  requireTransaction,
  type TransactionState,
  transactionEvolver,
  transactionStream,
} from "./transaction.ts";
import { requireVault, type VaultState, vaultEvolver, vaultStream } from "./vault.ts";

/** The app's dependencies with the auth services (the link key derives invitation codes). */
export type CustodyDeps = AuthDeps;

/** The caller as custody sees it: `auth` from the access token or the WebSocket session. */
export type Caller = Pick<AuthContext, "userId" | "roles">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function loadVault(deps: CustodyDeps, vaultId: string): Promise<VaultState> {
  if (!UUID.test(vaultId)) return vaultEvolver.initialState();
  return (await loadState(deps.store, vaultStream(vaultId.toLowerCase()), vaultEvolver)).state;
}

/** The vault, if the caller may see it; 404 otherwise (and for a vault that does not exist). */
export async function visibleVault(deps: CustodyDeps, auth: Caller, vaultId: string): Promise<VaultState> {
  await assertVaultAccess(deps.db, auth, vaultId);
  return requireVault(await loadVault(deps, vaultId));
}

export async function loadTransaction(deps: CustodyDeps, txId: string): Promise<TransactionState> {
  if (!UUID.test(txId)) return transactionEvolver.initialState();
  return (await loadState(deps.store, transactionStream(txId.toLowerCase()), transactionEvolver)).state;
}

/** The transaction and its vault, if the caller may see the vault; 404 otherwise. */
export async function visibleTransaction(
  deps: CustodyDeps,
  auth: Caller,
  txId: string,
): Promise<{ tx: TransactionState; vault: VaultState }> {
  const tx = requireTransaction(await loadTransaction(deps, txId));
  // Another vault's transaction looks like no transaction at all.
  if (!(await canAccessVault(deps.db, auth, tx.vaultId)))
    throw new AppError("not_found", "No such transaction");
  return { tx, vault: requireVault(await loadVault(deps, tx.vaultId)) };
}

/** Decide on the vault stream (load, decide, append at the version read, retry on a race). */
export async function onVault(
  deps: CustodyDeps,
  vaultId: string,
  decide: (v: VaultState) => readonly NewEvent[] | Promise<readonly NewEvent[]>,
  meta: EventMetadata,
): Promise<VaultState> {
  const r = await handle(
    deps.store,
    vaultStream(vaultId),
    vaultEvolver,
    (v) => decide(requireVault(v)),
    meta,
  );
  return r.state;
}

export async function onTransaction(
  deps: CustodyDeps,
  txId: string,
  decide: (t: TransactionState) => readonly NewEvent[] | Promise<readonly NewEvent[]>,
  meta: EventMetadata,
): Promise<{ state: TransactionState; appended: readonly NewEvent[] }> {
  const r = await handle(
    deps.store,
    transactionStream(txId),
    transactionEvolver,
    (t) => decide(requireTransaction(t)),
    meta,
  );
  return { state: r.state, appended: r.appended?.events ?? [] };
}
