/**
 * Inline projection `ip_bans`: the current ban of each address (IPv4 or IPv6
 * /64), read by the ban check on the authentication routes (through a short
 * cache, src/security/bans/check.ts) and the admin API. A new ban after one ran
 * out or was lifted replaces the row.
 */
import type { EventOf } from "../events/catalog/index.ts";
import type { IpBanLifted, IpBanned } from "../events/catalog/security.ts";
import type { Projection } from "./types.ts";

export const ipBansProjection: Projection = {
  name: "ip_bans",
  mode: "inline",
  eventTypes: ["IpBanned", "IpBanLifted"],
  tables: ["ip_bans"],
  async apply(sql, e) {
    const at = e.recordedAt.toISOString();
    if (e.type === "IpBanned") {
      const d = e.data as EventOf<typeof IpBanned>["data"];
      await sql.query(
        `INSERT INTO ip_bans (ip, until, reason, failures, banned_at, lifted_at, lifted_by, lift_reason, version)
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, $6)
         ON CONFLICT (ip) DO UPDATE SET until = $2, reason = $3, failures = $4, banned_at = $5,
           lifted_at = NULL, lifted_by = NULL, lift_reason = NULL, version = $6`,
        [d.ip, d.until, d.rule, d.failures, at, e.streamVersion],
      );
      return;
    }
    const d = e.data as EventOf<typeof IpBanLifted>["data"];
    await sql.query(
      "UPDATE ip_bans SET lifted_at = $2, lifted_by = $3, lift_reason = $4, version = $5 WHERE ip = $1",
      [d.ip, at, e.metadata.actor, d.reason, e.streamVersion],
    );
  },
};
