/** Events appended per type and hour: what /metrics and the monitoring API count from. */

import { allEvents } from "../events/catalog/index.ts";
import type { Projection } from "./types.ts";

export const eventStatsProjection: Projection = {
  name: "event_stats",
  mode: "async",
  eventTypes: allEvents.map((d) => d.type),
  tables: ["event_stats"],
  async apply(sql, event) {
    await sql.query(
      `INSERT INTO event_stats (type, hour, count) VALUES ($1, date_trunc('hour', $2::timestamptz), 1)
       ON CONFLICT (type, hour) DO UPDATE SET count = event_stats.count + 1`,
      [event.type, event.recordedAt.toISOString()],
    );
  },
};
