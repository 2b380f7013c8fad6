/**
 * What the audit routes read from the ledger: entries, checkpoints, sizes.
 * Hashes leave as lowercase hex; checkpoint notes as the signed text itself.
 */
import type { Sql } from "../../db/client.ts";
import { AppError } from "../http/errors.ts";

export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export interface StoredCheckpoint {
  treeSize: number;
  rootHash: string;
  note: string;
  keyId: string;
  signedAt: string;
}

interface CheckpointRow {
  tree_size: number;
  root_hash: Uint8Array;
  note: string;
  key_id: string;
  signed_at: Date | string;
}

const CP_COLUMNS = "tree_size, root_hash, note, key_id, signed_at";

function toCheckpoint(r: CheckpointRow): StoredCheckpoint {
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

/**
 * The ledger's size now, the position of an event in it (undefined: not
 * sequenced yet) and, when `size` is given, the checkpoint of that size: one
 * round trip.
 */
export async function entryOf(
  sql: Sql,
  eventId: string,
  size?: number,
): Promise<{ position: number | undefined; size: number; checkpoint: StoredCheckpoint | undefined }> {
  const [row] = await sql.query<{ position: number | null; size: number | null } & Partial<CheckpointRow>>(
    `SELECT (SELECT position FROM ledger_entries WHERE event_id = $1) AS position,
            (SELECT max(position) + 1 FROM ledger_entries) AS size,
            cp.tree_size, cp.root_hash, cp.note, cp.key_id, cp.signed_at
       FROM (SELECT 1) AS one LEFT JOIN ledger_checkpoints cp ON cp.tree_size = $2`,
    [eventId, size ?? -1],
  );
  return {
    position: row?.position === null || row?.position === undefined ? undefined : Number(row.position),
    size: Number(row?.size ?? 0),
    checkpoint:
      row && row.tree_size !== null && row.tree_size !== undefined
        ? toCheckpoint(row as CheckpointRow)
        : undefined,
  };
}

/** Refuses a tree size the ledger has not reached. */
export function checkSize(size: number, ledgerSize: number, field: string): void {
  if (size > ledgerSize) {
    throw new AppError("unprocessable", `${field} ${size} is beyond the ledger's ${ledgerSize} entries`);
  }
}
