/**
 * Inline projection `security_signals`: one narrow row per event a threat rule
 * reads (src/security/threats/rules/index.ts says which), keyed so that a
 * rule's window is an index range scan by address, account or type, joined to
 * `events` by primary key. Inline, so the row is committed with its event: when
 * the dispatcher hands that event to the analyzer, its window already holds it.
 */

import { SIGNAL_TYPES } from "../src/security/threats/rules/index.ts";
import { accountOf, ipKeyOf } from "../src/security/threats/types.ts";
import type { Projection } from "./types.ts";

export const securitySignalsProjection: Projection = {
  name: "security_signals",
  mode: "inline",
  eventTypes: SIGNAL_TYPES,
  tables: ["security_signals"],
  async apply(sql, e) {
    await sql.query(
      `INSERT INTO security_signals (event_id, stream_id, stream_version, type, at, ip, account)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.eventId, e.streamId, e.streamVersion, e.type, e.recordedAt.toISOString(), ipKeyOf(e), accountOf(e)],
    );
  },
};
