/**
 * The threat analyzer, run by the `threat.analyze` job for each triggering
 * event: it loads each matching rule's window, evaluates the rule, and appends
 * what the rule found.
 *
 * Idempotent by construction, so a retried or duplicated job changes nothing:
 * - an alert's id derives from (rule, subject, period of the trigger's time), and
 *   AlertRaised is appended with `no_stream` to `alert-<id>`: the second append
 *   is a ConcurrencyError, which means "already raised";
 * - a ban is decided on its stream: a ban still running is not banned again.
 */
import type { Db } from "../../../db/client.ts";
import { ConcurrencyError } from "../../../events/errors.ts";
import { handle } from "../../../events/handle.ts";
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata, StoredEvent } from "../../../events/types.ts";
import { sha256Hex } from "../../crypto/random.ts";
import { banEvolver, banStream, decideBan, isBanned } from "../bans/ban.ts";
import { RULES, type RuleSpec } from "./rules/index.ts";
import type { Alert, Subject } from "./types.ts";
import { loadWindow } from "./window.ts";

export interface AnalyzeDeps {
  db: Db;
  store: EventStore;
  clock: { now(): Date };
  /** Told after a ban commits, so this process's ban cache need not wait for its TTL. */
  onBan?: (ip: string) => void;
}

export interface AnalyzeResult {
  /** Ids of alerts this run appended (not those already raised). */
  raised: string[];
  /** Addresses this run banned. */
  banned: string[];
}

const short = (text: string) => sha256Hex(text).slice(0, 32);

/** The alert's subject as stored: personal data (addresses, emails) only as a hash prefix. */
export function subjectText(s: Subject): string {
  switch (s.kind) {
    case "ip":
      return `ip:${short(s.ip)}`;
    case "account":
      return s.account.startsWith("email:") ? `email:${s.account.slice(6, 38)}` : `user:${s.account}`;
    case "session":
      return `session:${s.sessionId}`;
    case "vault":
      return `vault:${s.vaultId}`;
    case "global":
      return "global";
  }
}

/** Deterministic: the same rule, subject and period (or trigger, for per-event alerts) give the same id. */
export function alertIdFor(alert: Alert, subject: string, trigger: StoredEvent): string {
  const period =
    alert.periodMs === null
      ? `event:${trigger.eventId}`
      : `period:${Math.floor(trigger.recordedAt.getTime() / alert.periodMs)}x${alert.periodMs}`;
  return short(`${alert.rule}|${subject}|${period}`);
}

const systemMeta = (trigger: StoredEvent): EventMetadata => ({
  actor: "system:threats",
  ip: null,
  userAgent: null,
  requestId: null,
  correlationId: trigger.metadata.correlationId,
  causationId: trigger.eventId,
});

async function rolesOf(db: Db, userId: string | undefined): Promise<readonly string[]> {
  if (!userId) return [];
  const rows = await db.query<{ roles: string[] }>("SELECT roles FROM users WHERE user_id = $1", [userId]);
  return rows[0]?.roles ?? [];
}

export async function analyze(
  deps: AnalyzeDeps,
  trigger: StoredEvent,
  rules: readonly RuleSpec[] = RULES,
): Promise<AnalyzeResult> {
  const result: AnalyzeResult = { raised: [], banned: [] };
  const matching = rules.filter((r) => r.triggers.includes(trigger.type));
  if (matching.length === 0) return result;
  let roles: readonly string[] | undefined;
  const windows = new Map<string, Promise<StoredEvent[]>>();
  for (const spec of matching) {
    if (spec.role) {
      roles ??= await rolesOf(deps.db, (trigger.data as { userId?: string }).userId);
      if (!roles.includes(spec.role)) continue;
    }
    const key = JSON.stringify(spec.window);
    let window = windows.get(key);
    if (!window) {
      window = loadWindow(deps.db, deps.store, spec.window, trigger);
      windows.set(key, window);
    }
    for (const alert of spec.evaluate(await window, trigger)) {
      if (alert.ban) {
        const b = await ban(deps, alert, trigger);
        if (b.appended) result.banned.push(alert.ban.ip);
        // Not banned (a lift's fresh window): nothing to report either.
        if (!b.active) continue;
      }
      const id = await raise(deps, alert, trigger);
      if (id) result.raised.push(id);
    }
  }
  return result;
}

async function ban(
  deps: AnalyzeDeps,
  alert: Alert,
  trigger: StoredEvent,
): Promise<{ appended: boolean; active: boolean }> {
  const b = alert.ban!;
  const { appended, state } = await handle(
    deps.store,
    banStream(b.ip),
    banEvolver,
    (s) =>
      decideBan(s, {
        ip: b.ip,
        until: b.until,
        failures: b.failures,
        rule: alert.rule,
        now: trigger.recordedAt,
        countedSince: new Date(b.countedSince),
      }),
    systemMeta(trigger),
  );
  if (appended) deps.onBan?.(b.ip);
  return { appended: appended !== null, active: isBanned(state, trigger.recordedAt) };
}

/** Appends AlertRaised; null when this alert was raised before. */
async function raise(deps: AnalyzeDeps, alert: Alert, trigger: StoredEvent): Promise<string | null> {
  const subject = subjectText(alert.subject);
  const alertId = alertIdFor(alert, subject, trigger);
  try {
    await deps.store.append(
      `alert-${alertId}`,
      "no_stream",
      [
        {
          type: "AlertRaised",
          data: {
            alertId,
            rule: alert.rule,
            severity: alert.severity,
            subject,
            summary: alert.summary,
            eventIds: alert.eventIds.slice(-200),
          },
        },
      ],
      systemMeta(trigger),
    );
    return alertId;
  } catch (err) {
    if (err instanceof ConcurrencyError) return null;
    throw err;
  }
}
