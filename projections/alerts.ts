/** Inline projection `alerts`: each threat alert and where it is in open -> acknowledged -> resolved. */
import type { EventOf } from "../events/catalog/index.ts";
import type { AlertAcknowledged, AlertRaised, AlertResolved } from "../events/catalog/security.ts";
import type { Projection } from "./types.ts";

export const alertsProjection: Projection = {
  name: "alerts",
  mode: "inline",
  eventTypes: ["AlertRaised", "AlertAcknowledged", "AlertResolved"],
  tables: ["alerts"],
  async apply(sql, e) {
    const at = e.recordedAt.toISOString();
    switch (e.type) {
      case "AlertRaised": {
        const d = e.data as EventOf<typeof AlertRaised>["data"];
        await sql.query(
          `INSERT INTO alerts (alert_id, rule, severity, subject, summary, status, event_ids, raised_at, version)
           VALUES ($1, $2, $3, $4, $5, 'open', $6::text::jsonb, $7, $8)`,
          [
            d.alertId,
            d.rule,
            d.severity,
            d.subject,
            d.summary,
            JSON.stringify(d.eventIds),
            at,
            e.streamVersion,
          ],
        );
        return;
      }
      case "AlertAcknowledged": {
        const d = e.data as EventOf<typeof AlertAcknowledged>["data"];
        await sql.query(
          `UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3,
                  acknowledged_note = $4, version = $5
           WHERE alert_id = $1`,
          [d.alertId, e.metadata.actor, at, d.note, e.streamVersion],
        );
        return;
      }
      case "AlertResolved": {
        const d = e.data as EventOf<typeof AlertResolved>["data"];
        await sql.query(
          `UPDATE alerts SET status = 'resolved', resolved_by = $2, resolved_at = $3, resolved_note = $4,
                  version = $5
           WHERE alert_id = $1`,
          [d.alertId, e.metadata.actor, at, d.note, e.streamVersion],
        );
        return;
      }
    }
  },
};
