/**
 * Test support for identity, sessions and auth: AppDeps with inline
 * projections, a clock tests move, fast (weak) argon2 parameters, the
 * in-memory SessionGuard, and every log line kept for secret scans.
 * Not imported by runtime code.
 */
import type { Db } from "../../db/client.ts";
import { createCatalog } from "../../events/catalog/index.ts";
import { createPiiCipher } from "../../events/pii.ts";
import { createEventStore } from "../../events/store.ts";
import type { StoredEvent } from "../../events/types.ts";
import { START } from "../../events/types.ts";
import { inlineProjections } from "../../projections/index.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import { createMemoryMailer, type MailMessage, sendEmail } from "../../workers/email.ts";
import { type App, createApp } from "../app.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { createAuthServices, masterKeyring } from "../auth/services.ts";
import { memorySessionGuard, type SessionGuard } from "../auth/session-guard.ts";
import { loadConfig } from "../config.ts";
import type { PasswordHasherOptions } from "../crypto/password.ts";
import { createLogger } from "../observability/logger.ts";
import { Metrics } from "../observability/metrics.ts";
import { identityJobRoutes, LINK_EMAIL, linkEmailHandler } from "./email-routes.ts";
import { identityFeature } from "./feature.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests probe response bodies freely.
type JsonBody = Record<string, any>;

export interface TestClock {
  now(): Date;
  set(iso: string | Date): void;
  advance(seconds: number): void;
}

export function testClock(start = "2026-03-01T10:00:00.000Z"): TestClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (v) => {
      t = new Date(v).getTime();
    },
    advance: (seconds) => {
      t += seconds * 1000;
    },
  };
}

/** Far below production cost: tests check behaviour, not hashing strength. */
export const FAST_ARGON2: PasswordHasherOptions = {
  memoryKiB: 512,
  iterations: 1,
  parallelism: 1,
  poolSize: 2,
};

export interface IdentityHarness {
  deps: AuthDeps;
  app: App;
  db: Db;
  clock: TestClock;
  /** Every log line written, as JSON text. */
  logLines: string[];
  events(): Promise<StoredEvent[]>;
  /**
   * Runs the identity email routes and handlers over the events appended since
   * the last call (what the dispatcher and workers do) and returns the mail sent.
   */
  mail(): Promise<MailMessage[]>;
  close(): Promise<void>;
}

/** The first link in a mail's text, and its `token` parameter. */
export function linkIn(mail: MailMessage | undefined): { url: string; token: string } {
  const url = /https?:\/\/\S+/.exec(mail?.text ?? "")?.[0];
  if (!url) throw new Error(`no link in mail: ${mail?.subject}`);
  return { url, token: new URL(url).searchParams.get("token") ?? "" };
}

export async function identityHarness(
  opts: {
    env?: Record<string, string>;
    db?: Db;
    guard?: SessionGuard;
    clock?: TestClock;
    passwordOptions?: PasswordHasherOptions;
  } = {},
): Promise<IdentityHarness> {
  const db = opts.db ?? (await pgliteDb());
  const clock = opts.clock ?? testClock();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "debug", ...opts.env });
  const logLines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => logLines.push(line) },
  });
  const store = createEventStore({
    db,
    catalog: createCatalog(),
    inline: inlineProjections(),
    pii: createPiiCipher(await masterKeyring(config)),
    now: clock.now,
  });
  const auth = await createAuthServices({
    store,
    db,
    config,
    clock,
    logger,
    guard: opts.guard ?? memorySessionGuard(clock),
    passwordOptions: opts.passwordOptions ?? FAST_ARGON2,
  });
  let n = 0;
  const deps: AuthDeps = {
    config,
    db,
    store,
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
    clock,
    ids: { newId: () => `test-request-${String(++n).padStart(4, "0")}` },
    readiness: [],
    auth,
  };
  const mailer = createMemoryMailer();
  const handlers = { "email.send": sendEmail(mailer), [LINK_EMAIL]: linkEmailHandler(deps, mailer) };
  const delivered = new Set<string>();
  // Everything committed, unfenced: tests assert what was written, not what a consumer may read yet.
  const events = () => store.readLogIn(db, START, { limit: 100_000 });
  return {
    deps,
    app: createApp(deps, [identityFeature]),
    db,
    clock,
    logLines,
    events,
    async mail() {
      const before = mailer.sent.length;
      for (const e of await events()) {
        if (delivered.has(e.eventId)) continue;
        delivered.add(e.eventId);
        for (const route of identityJobRoutes.filter((r) => r.eventType === e.type)) {
          for (const job of route.jobs(e)) {
            const handler = handlers[job.name as keyof typeof handlers];
            await handler(job.data, { id: job.id, name: job.name, attempt: 1, maxAttempts: 1 });
          }
        }
      }
      return mailer.sent.slice(before);
    },
    async close() {
      await auth.close();
      if (!opts.db) await db.close();
    },
  };
}

/** JSON request helpers over app.request. */
export function client(app: App) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request(path, {
      method,
      headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as JsonBody) : null };
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  return {
    call,
    bearer,
    register: (email: string, password: string, displayName?: string) =>
      call("POST", "/v1/auth/register", { email, password, ...(displayName ? { displayName } : {}) }),
    login: (email: string, password: string, headers: Record<string, string> = {}) =>
      call("POST", "/v1/auth/login", { email, password }, headers),
    me: (token: string) => call("GET", "/v1/auth/me", undefined, bearer(token)),
    refresh: (refreshToken: string) => call("POST", "/v1/auth/refresh", { refreshToken }),
  };
}

export const PASSWORD = "plum-harbour-velvet-42";

/**
 * Median times of a request for a known address and for fresh unknown ones
 * (15 of each, interleaved, after one warm-up each): for the tests that an
 * enumeration-sensitive route costs the same either way.
 */
export async function knownVsUnknownMedians(
  send: (email: string) => Promise<unknown>,
  knownEmail: string,
): Promise<{ known: number; unknown: number }> {
  await send("warm-up@example.com");
  await send(knownEmail);
  const time = async (email: string) => {
    const t0 = performance.now();
    await send(email);
    return performance.now() - t0;
  };
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 15; i++) {
    known.push(await time(knownEmail));
    unknown.push(await time(`nobody-${i}@example.com`));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { known: median(known), unknown: median(unknown) };
}
