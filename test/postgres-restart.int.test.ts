/**
 * Postgres restarted under load, on a private cluster (never the shared one):
 * while it is away every request answers 2xx or 503 `service_unavailable`
 * (never 500), and once it is back the pool drops its dead connections and
 * requests succeed at once, not after the driver's reconnect backoff (which
 * used to hold requests for 10–20 s). The figures are printed for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDb, type Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { client, type IdentityHarness, identityHarness, PASSWORD } from "../src/identity/testing.ts";
import {
  type PrivatePostgres,
  privatePostgresMissing,
  startPrivatePostgres,
} from "./helpers/private-postgres.ts";

const missing = privatePostgresMissing();

interface Sample {
  start: number;
  end: number;
  status: number;
  code?: string;
}

describe.skipIf(missing)(
  `Postgres restarted under load (private cluster${missing ? `; skipped: ${missing}` : ""})`,
  () => {
    let pg: PrivatePostgres;
    let db: Db;
    let h: IdentityHarness;
    let accessToken: string;

    beforeAll(async () => {
      pg = await startPrivatePostgres();
      db = createPostgresDb({ url: pg.url, max: 4 });
      await migrate(db);
      h = await identityHarness({ db });
      const c = client(h.app);
      expect((await c.register("ada@example.com", PASSWORD)).status).toBe(201);
      accessToken = (await c.login("ada@example.com", PASSWORD)).body!.accessToken;
    }, 180_000);
    afterAll(async () => {
      await h?.close();
      await db?.close();
      await pg?.destroy();
    });

    it("answers 2xx or 503 during the restart, and recovers as soon as the server is back", async () => {
      const c = client(h.app);
      const samples: Sample[] = [];
      const t0 = performance.now();
      const now = () => performance.now() - t0;
      let stop = false;
      // Reads (readiness, who-am-I) and writes (a forgot-password append) from four clients.
      const ops = [
        () => c.call("GET", "/ready"),
        () => c.me(accessToken),
        () => c.call("POST", "/v1/auth/password/forgot", { email: `x${crypto.randomUUID()}@example.com` }),
      ];
      const loop = async (n: number) => {
        for (let i = 0; !stop && i < 2000; i++) {
          const start = now();
          const res = await ops[(n + i) % ops.length]!();
          samples.push({ start, end: now(), status: res.status, code: res.body?.code });
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const clients = [0, 1, 2, 3].map(loop);
      await new Promise((r) => setTimeout(r, 500));
      const down = now();
      await pg.restart("fast");
      const back = now();
      await new Promise((r) => setTimeout(r, 2500));
      stop = true;
      await Promise.all(clients);

      const statuses = [...new Set(samples.map((s) => s.status))].sort();
      const during = samples.filter((s) => s.end >= down && s.start <= back);
      const after = samples.filter((s) => s.start >= back);
      const firstOk = after.find((s) => s.status < 300);
      const figures = {
        requests: samples.length,
        statusCounts: Object.fromEntries(
          statuses.map((st) => [st, samples.filter((s) => s.status === st).length]),
        ),
        restartMs: Math.round(back - down),
        worstLatencyDuringMs: Math.round(Math.max(...during.map((s) => s.end - s.start))),
        firstSuccessAfterBackMs: firstOk ? Math.round(firstOk.end - back) : null,
        worstLatencyAfterBackMs: Math.round(Math.max(...after.map((s) => s.end - s.start))),
        failuresAfterBack: after.filter((s) => s.status >= 300).length,
      };
      console.log(`postgres restart under load: ${JSON.stringify(figures)}`);

      // Only successes and 503s; the 503s are the database's, with its code.
      expect(statuses.every((s) => s < 300 || s === 503)).toBe(true);
      for (const s of samples.filter((x) => x.status === 503)) expect(s.code).toBe("service_unavailable");
      // The restart was felt (it is not a vacuous pass).
      expect(samples.some((s) => s.status === 503)).toBe(true);
      // Back at once: no request that started after the server was up waited out a backoff.
      expect(firstOk).toBeDefined();
      expect(figures.firstSuccessAfterBackMs!).toBeLessThan(2000);
      expect(figures.worstLatencyAfterBackMs).toBeLessThan(3000);
      expect(after.filter((s) => s.start >= back + 1000).every((s) => s.status < 300)).toBe(true);
    }, 120_000);
  },
);
