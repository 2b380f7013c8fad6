import type { Sql } from "../db/client.ts";
import { type Position, START } from "../events/types.ts";

export async function loadCheckpoint(sql: Sql, name: string): Promise<Position> {
  const rows = await sql.query<{ tx_id: string; event_id: number }>(
    "SELECT tx_id::text AS tx_id, event_id FROM checkpoints WHERE name = $1",
    [name],
  );
  const r = rows[0];
  return r ? { txId: r.tx_id, id: r.event_id } : START;
}

/**
 * Moves a checkpoint from `from` to `to`, but only if it is still at `from`:
 * a rebuild that reset it meanwhile makes this batch stale, and the caller rolls
 * back instead of writing old events over a fresh table.
 */
export async function advanceCheckpoint(
  sql: Sql,
  name: string,
  from: Position,
  to: Position,
): Promise<boolean> {
  await sql.query(
    "INSERT INTO checkpoints (name, tx_id, event_id) VALUES ($1, '0'::xid8, 0) ON CONFLICT (name) DO NOTHING",
    [name],
  );
  const rows = await sql.query(
    `UPDATE checkpoints SET tx_id = $4::xid8, event_id = $5, updated_at = now()
      WHERE name = $1 AND tx_id = $2::xid8 AND event_id = $3 RETURNING name`,
    [name, from.txId, from.id, to.txId, to.id],
  );
  return rows.length === 1;
}

export async function setCheckpoint(sql: Sql, name: string, to: Position): Promise<void> {
  await sql.query(
    `INSERT INTO checkpoints (name, tx_id, event_id) VALUES ($1, $2::xid8, $3)
     ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, event_id = EXCLUDED.event_id, updated_at = now()`,
    [name, to.txId, to.id],
  );
}
