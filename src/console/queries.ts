/**
 * The overview's time series. The last hour, by minute, is counted straight
 * from the log so a burst shows at once; to stay cheap on a long log it reads
 * at most the newest RECENT_EVENTS rows (by primary key), which is plenty for
 * an hour of security events on one console. The last day, by hour, comes
 * from the `event_stats` projection (one row per type and hour), which the
 * /metrics gauges also read.
 */
import type { Db } from "../../db/client.ts";

export const SERIES = {
  succeeded: "LoginSucceeded",
  failed: "LoginFailed",
  lockouts: "AccountLocked",
  rateLimited: "RateLimitExceeded",
} as const;
export type SeriesName = keyof typeof SERIES;
export type Series = Record<SeriesName, number[]>;

const RECENT_EVENTS = 20_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

const empty = (n: number): Series => ({
  succeeded: new Array(n).fill(0),
  failed: new Array(n).fill(0),
  lockouts: new Array(n).fill(0),
  rateLimited: new Array(n).fill(0),
});

const nameOf = new Map(Object.entries(SERIES).map(([k, t]) => [t as string, k as SeriesName]));

/** 60 one-minute buckets ending at `now` (the last is the current minute). */
export async function lastHour(db: Db, now: Date): Promise<Series> {
  const end = Math.floor(now.getTime() / MINUTE) * MINUTE + MINUTE;
  const start = end - 60 * MINUTE;
  const rows = await db.query<{ type: string; minute: Date | string; n: number | string }>(
    `SELECT type, date_trunc('minute', recorded_at) AS minute, count(*) AS n
     FROM (SELECT type, recorded_at FROM events ORDER BY id DESC LIMIT ${RECENT_EVENTS}) recent
     WHERE recorded_at >= $1 AND type = ANY(string_to_array($2, ','))
     GROUP BY 1, 2`,
    [new Date(start).toISOString(), Object.values(SERIES).join(",")],
  );
  const out = empty(60);
  for (const r of rows) {
    const i = Math.floor((new Date(r.minute).getTime() - start) / MINUTE);
    const name = nameOf.get(r.type);
    if (name && i >= 0 && i < 60) out[name][i] = Number(r.n);
  }
  return out;
}

/** 24 one-hour buckets ending with the current hour. */
export async function lastDay(db: Db, now: Date): Promise<Series> {
  const end = Math.floor(now.getTime() / HOUR) * HOUR + HOUR;
  const start = end - 24 * HOUR;
  const rows = await db.query<{ type: string; hour: Date | string; count: number | string }>(
    `SELECT type, hour, count FROM event_stats
     WHERE hour >= $1 AND type = ANY(string_to_array($2, ','))`,
    [new Date(start).toISOString(), Object.values(SERIES).join(",")],
  );
  const out = empty(24);
  for (const r of rows) {
    const i = Math.floor((new Date(r.hour).getTime() - start) / HOUR);
    const name = nameOf.get(r.type);
    if (name && i >= 0 && i < 24) out[name][i] = Number(r.count);
  }
  return out;
}
