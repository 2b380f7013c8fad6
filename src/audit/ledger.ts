/**
 * What the audit routes read from the ledger: entries, checkpoints, sizes.
 * Hashes leave as lowercase hex; checkpoint notes as the signed text itself.
 */
import type { Sql } from "../../db/client.ts";
import { toHex } from "../../events/ledger/tree-store.ts";
import { AppError } from "../http/errors.ts";

/** Lowercase hex. */
export const hex = toHex;

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: string;
  note: string;
  keyId: string;
  signedAt: string;
}

export interface CheckpointRow {
  tree_size: number;
  root_hash: Uint8Array;
  note: string;
  key_id: string;
  signed_at: Date | string;
}

export const CP_COLUMNS = "tree_size, root_hash, note, key_id, signed_at";

export function toCheckpoint(r: CheckpointRow): StoredCheckpoint {
  return {
    treeSize: Number(r.tree_size),
    rootHash: hex(new Uint8Array(r.root_hash)),
    note: r.note,
    keyId: r.key_id,
    signedAt: new Date(r.signed_at).toISOString(),
  };
}

export async function latestCheckpoint(sql: Sql): Promise<StoredCheckpoint | undefined> {
  const [row] = await sql.query<CheckpointRow>(
    `SELECT ${CP_COLUMNS} FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1`,
  );
  return row ? toCheckpoint(row) : undefined;
}

export async function checkpointAt(sql: Sql, size: number): Promise<StoredCheckpoint | undefined> {
  const [row] = await sql.query<CheckpointRow>(
    `SELECT ${CP_COLUMNS} FROM ledger_checkpoints WHERE tree_size = $1`,
    [size],
  );
  return row ? toCheckpoint(row) : undefined;
}

/** Newest first, sizes below `before` when given. */
export async function checkpointPage(sql: Sql, limit: number, before?: number): Promise<StoredCheckpoint[]> {
  const rows = await sql.query<CheckpointRow>(
    `SELECT ${CP_COLUMNS} FROM ledger_checkpoints WHERE tree_size < $2 ORDER BY tree_size DESC LIMIT $1`,
    [limit, before ?? Number.MAX_SAFE_INTEGER],
  );
  return rows.map(toCheckpoint);
}

/** Refuses a tree size the ledger has not reached. */
export function checkSize(size: number, ledgerSize: number, field: string): void {
  if (size > ledgerSize) {
    throw new AppError("unprocessable", `${field} ${size} is beyond the ledger's ${ledgerSize} entries`);
  }
}
