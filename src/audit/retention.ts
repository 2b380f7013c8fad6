/**
 * Retention for operational tables, never the log: rows that served their
 * purpose (a spent email token, an expired session, an old threat signal) are
 * deleted once older than their configured age. Everything they said stays in
 * the event log, hash-chained and in the ledger.
 *
 * Deletes go in small batches (short transactions: a long one would hold back
 * the log's read fence for every consumer). One instance prunes at a time
 * (transaction advisory lock per batch is enough: deletes are idempotent).
 */
import type { Sql } from "../../db/client.ts";
import type { AppDeps } from "../app.ts";
import type { RetentionConfig } from "../config.ts";

const BATCH = 5000;
const DAY = 86_400_000;

export interface PruneRule {
  table: string;
  /** A WHERE clause over the table; $1 is the cutoff (timestamptz). */
  where: string;
  days: (c: RetentionConfig) => number;
}

/** What is pruned, and when a row counts as done with. */
export const PRUNE_RULES: readonly PruneRule[] = [
  {
    table: "security_signals",
    where: "type = 'RateLimitExceeded' AND at < $1",
    days: (c) => c.rateLimitEvidenceDays,
  },
  { table: "security_signals", where: "at < $1", days: (c) => c.securitySignalsDays },
  // Refresh tokens first: they belong to the sessions pruned next.
  {
    table: "refresh_tokens",
    where: `session_id IN (SELECT session_id FROM sessions WHERE expires_at < $1 OR revoked_at < $1)`,
    days: (c) => c.sessionsDays,
  },
  { table: "sessions", where: "expires_at < $1 OR revoked_at < $1", days: (c) => c.sessionsDays },
  {
    table: "email_tokens",
    where: "expires_at < $1 OR (status <> 'pending' AND closed_at < $1)",
    days: (c) => c.emailTokensDays,
  },
  { table: "mfa_challenges", where: "expires_at < $1", days: (c) => c.mfaChallengesDays },
];

export interface PruneReport {
  table: string;
  deleted: number;
}

async function pruneRule(sql: Sql, rule: PruneRule, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await sql.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM ${rule.table} WHERE ctid IN (SELECT ctid FROM ${rule.table} WHERE ${rule.where} LIMIT ${BATCH})
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [cutoff.toISOString()],
    );
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < BATCH) return total;
  }
}

/** One pruning pass over every rule; returns what each deleted. */
export async function pruneOnce(sql: Sql, config: RetentionConfig, now: Date): Promise<PruneReport[]> {
  const report: PruneReport[] = [];
  for (const rule of PRUNE_RULES) {
    const deleted = await pruneRule(sql, rule, new Date(now.getTime() - rule.days(config) * DAY));
    const same = report.find((r) => r.table === rule.table);
    if (same) same.deleted += deleted;
    else report.push({ table: rule.table, deleted });
  }
  return report;
}

/**
 * Per table, the rows retention would prune at `now`, as literal SQL: what
 * `replay --verify` leaves out of its comparison (the live table no longer has
 * them, the rebuild from the log does). The cutoffs only move forward, so
 * every row already pruned matches too.
 */
export function retentionExclusions(config: RetentionConfig, now: Date): Record<string, string> {
  const out: Record<string, string[]> = {};
  for (const rule of PRUNE_RULES) {
    const cutoff = new Date(now.getTime() - rule.days(config) * DAY).toISOString();
    (out[rule.table] ??= []).push(`(${rule.where.replaceAll("$1", `'${cutoff}'::timestamptz`)})`);
  }
  return Object.fromEntries(Object.entries(out).map(([t, preds]) => [t, preds.join(" OR ")]));
}

/** Runs `pruneOnce` every RETENTION_INTERVAL_MINUTES (first pass shortly after start). */
export function runRetention(deps: AppDeps): { stop(): Promise<void> } {
  const { config, logger } = deps;
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = pruneOnce(deps.db, config.retention, deps.clock.now()).then(
      (report) => {
        const deleted = report.filter((r) => r.deleted > 0);
        if (deleted.length) logger.info({ retention: deleted }, "pruned operational tables");
      },
      (err: unknown) => logger.warn({ error: (err as Error).message }, "retention pass failed"),
    );
  };
  const first = setTimeout(pass, Math.min(60_000, config.retention.intervalMs));
  const timer = setInterval(pass, config.retention.intervalMs);
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
