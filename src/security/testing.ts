/**
 * Test support for the security feature: the identity harness with the
 * security feature mounted in front, requests from a chosen client address,
 * admins made with a UserRegistered that carries the admin role (there is no
 * role-grant command yet), and the security jobs run in-process on demand the
 * way the dispatcher would run them (job ids deduplicated). Not imported by
 * runtime code.
 */
import type { Db } from "../../db/client.ts";
import { uuidv7 } from "../../events/ids.ts";
import { START } from "../../events/types.ts";
import { catchUp } from "../../projections/consumer.ts";
import { eventStatsProjection } from "../../projections/event-stats.ts";
import { projectionConsumer } from "../../projections/runner.ts";
import { systemMeta } from "../../test/fixtures/events.ts";
import type { JobQueue, JobSpec } from "../../workers/queue.ts";
import { type App, createApp } from "../app.ts";
import { peer } from "../http/test-app.ts";
import { identityFeature } from "../identity/feature.ts";
import { type IdentityHarness, identityHarness, PASSWORD, type TestClock } from "../identity/testing.ts";
import { userStream } from "../identity/user.ts";
import { securityFeature } from "./feature.ts";
import { securityJobHandlers, securityJobRoutes } from "./threats/jobs.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests probe response bodies freely.
type JsonBody = Record<string, any>;

export interface CallOptions {
  body?: unknown;
  token?: string;
  ip?: string;
  headers?: Record<string, string>;
}

export interface SecurityHarness extends Omit<IdentityHarness, "app"> {
  app: App;
  call(
    method: string,
    path: string,
    opts?: CallOptions,
  ): Promise<{ status: number; headers: Headers; body: JsonBody | null }>;
  /** Logs in over HTTP and returns the access token. */
  login(email: string, opts?: { ip?: string; password?: string }): Promise<string>;
  /** An account holding `roles`, registered through the log, and its token. */
  account(email: string, roles?: string[], ip?: string): Promise<{ userId: string; token: string }>;
  /** Runs the security jobs the log calls for (threat.analyze, alert.notify) until none is new. */
  runJobs(): Promise<void>;
  /** Every job the security handlers enqueued (the alert emails). */
  enqueued: JobSpec[];
  /** Brings the async `event_stats` projection up to date. */
  stats(): Promise<void>;
}

/**
 * Admin endpoints demand two-factor by default (ADMIN_REQUIRE_MFA); these tests
 * are about security monitoring, not enrolment, so they switch it off.
 */
export const SECURITY_TEST_ENV = { ADMIN_REQUIRE_MFA: "false" };

export async function securityHarness(
  opts: { db?: Db; clock?: TestClock; env?: Record<string, string> } = {},
): Promise<SecurityHarness> {
  const h = await identityHarness({ ...opts, env: { ...SECURITY_TEST_ENV, ...opts.env } });
  const app = createApp(h.deps, [securityFeature, identityFeature]);
  const enqueued: JobSpec[] = [];
  const seen = new Set<string>();
  const queue = {
    kind: "in-process",
    async enqueue(job: JobSpec) {
      if (seen.has(job.id)) return;
      seen.add(job.id);
      enqueued.push(job);
    },
  } as unknown as JobQueue;
  const handlers = securityJobHandlers({ ...h.deps, queue });
  const done = new Set<string>();

  const call: SecurityHarness["call"] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers["Content-Type"] = "application/json";
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    const res = await app.request(
      path,
      { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) },
      peer(o.ip ?? "192.0.2.10"),
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as JsonBody) : null };
  };

  const login: SecurityHarness["login"] = async (email, o = {}) => {
    const res = await call("POST", "/v1/auth/login", {
      body: { email, password: o.password ?? PASSWORD },
      ip: o.ip,
    });
    if (res.status !== 200)
      throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body!.accessToken as string;
  };

  return {
    ...h,
    app,
    call,
    login,
    enqueued,
    async account(email, roles = ["user"], ip) {
      const userId = uuidv7();
      const passwordHash = await h.deps.auth.passwords.hash(PASSWORD);
      await h.deps.store.append(
        userStream(userId),
        "no_stream",
        [{ type: "UserRegistered", data: { userId, email, displayName: null, roles, passwordHash } }],
        systemMeta,
      );
      return { userId, token: await login(email, { ip }) };
    },
    async runJobs() {
      for (;;) {
        let ran = 0;
        for (const e of await h.deps.store.readAll(START, { limit: 100_000 })) {
          for (const route of securityJobRoutes.filter((r) => r.eventType === e.type)) {
            for (const job of route.jobs(e)) {
              if (done.has(job.id)) continue;
              done.add(job.id);
              await handlers[job.name]!(job.data, { id: job.id, name: job.name, attempt: 1, maxAttempts: 1 });
              ran++;
            }
          }
        }
        if (ran === 0) return;
      }
    },
    async stats() {
      await catchUp({ db: h.db, store: h.deps.store }, projectionConsumer(eventStatsProjection));
    },
  };
}
