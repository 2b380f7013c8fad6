/**
 * Load: a flood of /metrics scrapes (with and without the token) and of
 * anonymous /v1 requests from 127.0.0.1, for a few seconds over real sockets,
 * while a signed-in client on the same address keeps calling /auth/me. The
 * client must keep its latency and never see a 429 or a 5xx; the flood must be
 * limited, and the security gauges read from the database at most once per
 * interval however many scrapes arrive. Real Postgres and Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { postgresDb, TEST_DATABASE_URL, TEST_REDIS_URL } from "../../test/helpers/db.ts";
import { type HttpServer, latencySummary, listen } from "../../test/helpers/http-server.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";
import { PASSWORD } from "../identity/testing.ts";
import { buildRuntime, type Runtime } from "../runtime.ts";

const TOKEN = "scrape-token-5d0c7a9e13f2";
const FLOOD_MS = 4000;
const skip = !TEST_DATABASE_URL || !TEST_REDIS_URL;

describe.skipIf(skip)(
  skip
    ? "/metrics and anonymous flood (skipped: needs TEST_DATABASE_URL and TEST_REDIS_URL)"
    : "/metrics and anonymous flood beside a signed-in client (Postgres, Redis)",
  () => {
    let db: Db;
    let rt: Runtime;
    let server: HttpServer;
    let gaugeReads = 0;

    beforeAll(async () => {
      db = await postgresDb();
      // Count the security summary's reads: one per interval is the promise.
      const counted: Db = {
        ...db,
        query: ((text: string, params?: unknown[]) => {
          if (text.includes("FROM event_stats")) gaugeReads++;
          return db.query(text, params);
        }) as Db["query"],
      };
      rt = await buildRuntime(
        {
          NODE_ENV: "test",
          REDIS_URL: TEST_REDIS_URL!,
          REDIS_PREFIX: `vigil-flood-${crypto.randomUUID()}`,
          METRICS_TOKEN: TOKEN,
          // Small budgets, so that even a slow shared machine's flood spends them in a few seconds.
          RATE_LIMIT_METRICS_PER_MINUTE: "10",
          RATE_LIMIT_IP_PER_MINUTE: "10",
        },
        { db: counted, skipMigrate: true },
      );
      server = await listen(createApp(rt.deps, features).fetch);
    });
    afterAll(async () => {
      await server?.close();
      await rt?.close();
      await db?.close();
    });

    it("keeps a signed-in client's /auth/me fast and never limited while the flood is refused", async () => {
      const post = (path: string, body: unknown) =>
        fetch(`${server.base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      expect((await post("/v1/auth/register", { email: "ada@example.com", password: PASSWORD })).status).toBe(
        201,
      );
      const login = await post("/v1/auth/login", { email: "ada@example.com", password: PASSWORD });
      const { accessToken } = (await login.json()) as { accessToken: string };

      const until = performance.now() + FLOOD_MS;
      const flood: Record<string, number> = {};
      const hammer = async (label: string, path: string, headers: Record<string, string>) => {
        for (let i = 0; i < 5000 && performance.now() < until; i++) {
          const res = await fetch(`${server.base}${path}`, { headers });
          await res.arrayBuffer();
          flood[`${label} ${res.status}`] = (flood[`${label} ${res.status}`] ?? 0) + 1;
        }
      };
      const client: { ms: number; status: number }[] = [];
      const signedIn = async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const res = await fetch(`${server.base}/v1/auth/me`, {
            headers: { authorization: `Bearer ${accessToken}` },
          });
          await res.arrayBuffer();
          client.push({ ms: performance.now() - t0, status: res.status });
          await new Promise((r) => setTimeout(r, 50)); // a user's pace: well inside 100/min over the run
        }
      };
      const readsBefore = gaugeReads;
      await Promise.all([
        signedIn(),
        ...Array.from({ length: 4 }, () =>
          hammer("metrics", "/metrics", { authorization: `Bearer ${TOKEN}` }),
        ),
        ...Array.from({ length: 2 }, () =>
          hammer("metrics-guess", "/metrics", { authorization: "Bearer guess" }),
        ),
        ...Array.from({ length: 4 }, () => hammer("anonymous", "/v1/auth/me", {})),
      ]);
      const latency = latencySummary(client.map((c) => c.ms));
      console.log(
        "flood:",
        JSON.stringify({ flood, signedIn: latency, gaugeReads: gaugeReads - readsBefore }),
      );

      expect(client.length).toBeGreaterThanOrEqual(5);
      expect(new Set(client.map((c) => c.status))).toEqual(new Set([200]));
      // Generous, for shared CI machines: the failure this guards against is a client refused or stalled for good.
      expect(latency.max).toBeLessThan(2000);
      // The flood was limited: scrapes and anonymous requests past their budgets got 429.
      expect(flood["metrics 429"]).toBeGreaterThan(0);
      expect(flood["anonymous 429"]).toBeGreaterThan(0);
      expect(Object.keys(flood).filter((k) => /\s5\d\d$/.test(k))).toEqual([]);
      // One database read of the security gauges per 5 s interval, not one per scrape.
      expect(flood["metrics 200"]).toBeGreaterThan(2);
      expect(gaugeReads - readsBefore).toBeLessThanOrEqual(2);
    });
  },
);
