/**
 * Inline projections of governance's who-holds-what:
 * - `wallets`: linked wallets; the unique (chain, address) index makes a
 *   second link of an address fail inside the append, so two users racing
 *   for one address cannot both win;
 * - `governance_power`: each user's current voting power (snapshots read the log).
 */

import type { VotingPowerAssigned, WalletLinked } from "../events/catalog/governance.ts";
import type { EventOf } from "../events/catalog/index.ts";
import { ERASED } from "../events/pii.ts";
import type { Projection } from "./types.ts";

export const walletsProjection: Projection = {
  name: "wallets",
  mode: "inline",
  eventTypes: ["WalletLinked", "WalletUnlinked", "UserErased"],
  tables: ["wallets"],
  async apply(sql, e) {
    // An erased person's links end with them (their addresses can be linked again);
    // a rebuild reads their links as [erased] and leaves them out the same way.
    if (e.type === "UserErased") {
      await sql.query("DELETE FROM wallets WHERE user_id = $1", [(e.data as { userId: string }).userId]);
      return;
    }
    if (e.type === "WalletLinked") {
      const d = e.data as EventOf<typeof WalletLinked>["data"];
      if (d.address === ERASED) return;
      await sql.query(
        "INSERT INTO wallets (wallet_id, user_id, chain, address, linked_at) VALUES ($1, $2, $3, $4, $5)",
        [d.walletId, d.userId, d.chain, d.address, e.recordedAt.toISOString()],
      );
      return;
    }
    const d = e.data as { walletId: string };
    await sql.query("DELETE FROM wallets WHERE wallet_id = $1", [d.walletId]);
  },
};

export const governancePowerProjection: Projection = {
  name: "governance_power",
  mode: "inline",
  eventTypes: ["VotingPowerAssigned"],
  tables: ["governance_power"],
  async apply(sql, e) {
    const d = e.data as EventOf<typeof VotingPowerAssigned>["data"];
    await sql.query(
      `INSERT INTO governance_power (user_id, power, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET power = excluded.power, updated_at = excluded.updated_at`,
      [d.userId, d.power, e.recordedAt.toISOString()],
    );
  },
};
