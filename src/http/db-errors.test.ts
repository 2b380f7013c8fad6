/**
 * Database connection failures are the database being away, not the request at
 * fault: 503 `service_unavailable` with Retry-After, from the one error mapping.
 * Real driver errors (a closed PGlite, postgres.js on a port nothing listens on)
 * and the SQLSTATEs a restarting server sends.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createPostgresDb, type Db } from "../../db/client.ts";
import { pgliteDb } from "../../test/helpers/db.ts";
import { type App, createApp, type Feature } from "../app.ts";
import { createRouter } from "./router.ts";
import { testDeps } from "./test-app.ts";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

const CASES: Record<string, () => unknown> = {
  shutdown: () => pgError("57P01", "terminating connection due to administrator command"),
  crash: () => pgError("57P02", "terminating connection because of crash of another server process"),
  starting: () => pgError("57P03", "the database system is starting up"),
  recovery: () => pgError("57P03", "the database system is in recovery mode"),
  too_many: () => pgError("53300", "sorry, too many clients already"),
  link: () => pgError("08006", "connection failure"),
  closed: () => pgError("CONNECTION_CLOSED", "write CONNECTION_CLOSED 127.0.0.1:5432"),
  ended: () => pgError("CONNECTION_ENDED", "write CONNECTION_ENDED 127.0.0.1:5432"),
  reset: () => pgError("ECONNRESET", "read ECONNRESET"),
  refused_dual_stack: () =>
    new AggregateError([pgError("ECONNREFUSED", "connect ECONNREFUSED ::1:5432")], "connect failed"),
  wrapped: () => new Error("append failed", { cause: pgError("57P01", "terminating connection") }),
};

let closedPglite: Db;
const features: Feature = (app) => {
  const r = createRouter();
  r.get("/fail/:kind", (c) => {
    throw CASES[c.req.param("kind")]!();
  });
  r.get("/pglite-closed", async (c) => c.json(await closedPglite.query("SELECT 1")));
  r.get("/refused", async (c) => {
    // Port 1 on loopback: nothing listens, the connect is refused at once.
    const db = createPostgresDb({ url: "postgres://postgres@127.0.0.1:1/none", max: 1 });
    try {
      return c.json(await db.query("SELECT 1"));
    } finally {
      await db.close();
    }
  });
  r.get("/unique", () => {
    throw pgError("23505", 'duplicate key value violates unique constraint "users_email_key"');
  });
  app.route("/v1/_test", r);
};

let app: App;
beforeAll(async () => {
  app = createApp(await testDeps({ RATE_LIMITS_ENABLED: "false" }), [features]);
  // A clone of the test template: far cheaper than starting another PGlite.
  closedPglite = await pgliteDb();
  await closedPglite.close();
});

async function expect503(path: string) {
  const res = await app.request(path);
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  const body = (await res.json()) as { code: string; detail: string };
  expect(body.code).toBe("service_unavailable");
  // Nothing of the driver's message (hosts, ports, SQL) reaches the client.
  expect(body.detail).not.toMatch(/127\.0\.0\.1|ECONN|terminating|5432/);
}

describe("database connection errors → 503 service_unavailable with Retry-After", () => {
  for (const kind of Object.keys(CASES)) {
    it(kind, async () => {
      await expect503(`/v1/_test/fail/${kind}`);
    });
  }

  it("a closed PGlite (the real driver error)", async () => {
    await expect503("/v1/_test/pglite-closed");
  });

  it("postgres.js refused by a port nothing listens on (the real driver error)", async () => {
    await expect503("/v1/_test/refused");
  });

  it("a database error that is the request's business stays what it was (500, no detail)", async () => {
    const res = await app.request("/v1/_test/unique");
    expect(res.status).toBe(500);
    expect(((await res.json()) as { code: string }).code).toBe("internal_error");
  });
});
