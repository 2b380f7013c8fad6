/**
 * The ledger on real Postgres, each figure beside a baseline from the same run:
 *   1. single-event appends/s with BENCH_WRITERS writers while the sequencer
 *      runs, against the same load without it (phases alternating off, on,
 *      off, on, off, each side averaged, so neither the log's growth nor the
 *      machine's drift favours either side);
 *   2. sequencer lag p99 under that load: from an append's commit (its call
 *      returning) to the commit of the batch that gave it a ledger position;
 *   3. inclusion proofs served per second over HTTP (autocannon, auditor's
 *      token) at a tree of BENCH_LEDGER_LEAVES (default 1,000,000) leaves built
 *      directly in SQL, against GET /v1/auth/me with the same token (what
 *      authentication alone costs) on the same server.
 *
 * Module env: BENCH_LEDGER_LEAVES, BENCH_CONNECTIONS (HTTP, default 32),
 * BENCH_LEDGER_PHASES (`appends`, `proofs` or both, the default: to profile one alone),
 * BENCH_SEQUENCER_POLL_MS (the sequencer's poll; default: its own),
 * BENCH_LEDGER_ROUNDS (phases with the sequencer, default 2).
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { hexToBytes } from "@noble/hashes/utils.js";
import autocannon from "autocannon";
import { uuidv7 } from "../events/ids.ts";
import { verifyInclusion } from "../events/ledger/merkle.ts";
import { runSequencer } from "../events/ledger/sequencer.ts";
import { ledgerSize, rootAt } from "../events/ledger/tree-store.ts";
import type { EventMetadata } from "../events/types.ts";
import { createApp } from "../src/app.ts";
import { auditFeature, checkpointKeysFor } from "../src/audit/feature.ts";
import { createAuthServices } from "../src/auth/services.ts";
import { loadConfig } from "../src/config.ts";
import { identityFeature } from "../src/identity/feature.ts";
import { userStream } from "../src/identity/user.ts";
import { createLogger } from "../src/observability/logger.ts";
import {
  appStore,
  type BenchContext,
  type BenchModule,
  benchDeps,
  envNumber,
  fmtInt,
  fmtMs,
  type Measure,
  now,
  type ResultRow,
  runFor,
} from "./lib.ts";

const META: EventMetadata = {
  actor: "system:bench",
  ip: "127.0.0.1",
  userAgent: "vigil-bench",
  requestId: null,
  correlationId: null,
  causationId: null,
};
const PASSWORD = "plum-harbour-velvet-42";
const APPENDS_PER_STREAM = 20;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function untilTrue(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const { db, log, writers, seconds, warmupSeconds } = ctx;
  const leaves = envNumber("BENCH_LEDGER_LEAVES", 1_000_000);
  const connections = envNumber("BENCH_CONNECTIONS", 32);
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", RATE_LIMITS_ENABLED: "false" });
  const logger = createLogger({ level: "warn" });
  const clock = { now: () => new Date() };
  const store = await appStore(db, config, clock);
  const auth = await createAuthServices({
    store,
    db,
    config,
    clock,
    logger,
    passwordOptions: { poolSize: 1 },
  });
  const deps = benchDeps({ config, db, store, logger, clock, auth });
  const keys = checkpointKeysFor(deps);
  const phases = (process.env.BENCH_LEDGER_PHASES ?? "appends,proofs").split(",");

  // Commit times of the events appended in the measured window, and the lags seen.
  let measuring = false;
  const committed = new Map<string, number>();
  const lags: number[] = [];
  const appendPhase = (label: string): Promise<Measure> =>
    runFor({
      workers: writers,
      seconds,
      warmupSeconds,
      op: async (w, i) => {
        const res = await store.append(
          `bench-${label}-${w}-${Math.floor(i / APPENDS_PER_STREAM)}`,
          "any",
          [{ type: "ProjectionRebuilt", data: { projection: "bench", events: i, durationMs: 1 } }],
          META,
        );
        if (measuring) committed.set(res.events[0]!.eventId, now());
        return 1;
      },
    });

  /** One phase with the sequencer running, after it has caught up with the log. */
  const sequencedPhase = async (label: string): Promise<Measure> => {
    const pollMs = process.env.BENCH_SEQUENCER_POLL_MS ? envNumber("BENCH_SEQUENCER_POLL_MS", 0) : undefined;
    const sequencer = runSequencer({
      db,
      pollMs,
      origin: config.ledger.origin,
      sign: (t) => keys.sign(t),
      onBatch: (_first, ids) => {
        const t = now();
        for (const id of ids) {
          const c = committed.get(id);
          if (c !== undefined) lags.push(t - c);
        }
      },
      onError: (err) => log(`sequencer error: ${(err as Error).message}`),
    });
    const [{ n: total } = { n: 0 }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    await untilTrue(async () => (await ledgerSize(db)) >= total, 300_000, "the sequencer to catch up");
    log(`sequencer caught up with ${fmtInt(total)} events`);
    measuring = true;
    const m = await appendPhase(label);
    measuring = false;
    const [{ n: all } = { n: 0 }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events");
    await untilTrue(async () => (await ledgerSize(db)) >= all, 300_000, "the sequencer to finish");
    await sequencer.stop();
    log(`appends with the sequencer: ${fmtInt(m.opsPerSec)}/s`);
    return m;
  };

  /**
   * Figures 1 and 2: phases without and with the sequencer, alternating
   * (off, on, off, on, off for two rounds), and its lag. On a shared machine
   * the rate drifts by tens of percent within a run; alternating and averaging
   * each side keeps that drift from deciding the ratio.
   */
  const appendFigures = async (): Promise<ResultRow[]> => {
    const rounds = envNumber("BENCH_LEDGER_ROUNDS", 2);
    const without: number[] = [];
    const withSeq: number[] = [];
    const off = async (label: string) => {
      const m = await appendPhase(label);
      log(`appends without the sequencer: ${fmtInt(m.opsPerSec)}/s (p99 ${fmtMs(m.p99Ms)})`);
      without.push(m.opsPerSec);
    };
    await off("off0");
    for (let r = 1; r <= rounds; r++) {
      withSeq.push((await sequencedPhase(`on${r}`)).opsPerSec);
      await off(`off${r}`);
    }
    lags.sort((a, b) => a - b);
    log(
      `lag over ${fmtInt(lags.length)} events p50 ${fmtMs(percentile(lags, 0.5))}, ` +
        `p99 ${fmtMs(percentile(lags, 0.99))}, max ${fmtMs(lags.at(-1) ?? 0)}`,
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const list = (xs: number[]) => xs.map((x) => fmtInt(x)).join(", ");
    return [
      {
        name: "single-event appends, sequencer running",
        value: mean(withSeq),
        unit: "appends/s",
        baseline: { name: "without it, mean of the phases between", value: mean(without) },
        target: { ratio: 0.9 },
        note: `${writers} writers, alternating; with: ${list(withSeq)}/s; without: ${list(without)}/s`,
      },
      {
        name: "sequencer lag p99 (commit to ledger position)",
        value: percentile(lags, 0.99),
        unit: "ms",
        target: { max: 250 },
        note: `${fmtInt(lags.length)} events under ${writers} writers; p50 ${fmtMs(percentile(lags, 0.5))}, max ${fmtMs(lags.at(-1) ?? 0)}`,
      },
    ];
  };

  try {
    const appendRows = phases.includes("appends") ? await appendFigures() : [];
    if (!phases.includes("proofs")) return appendRows;

    // (3) a synthetic tree of `leaves` leaves, built in SQL.
    log(`building a tree of ${fmtInt(leaves)} leaves`);
    await db.query("TRUNCATE ledger_entries, ledger_nodes, ledger_checkpoints");
    await db.query(
      `INSERT INTO ledger_nodes (level, idx, hash)
       SELECT 0, i, sha256(int8send(i)) FROM generate_series(0, $1::bigint - 1) AS i`,
      [leaves],
    );
    for (let level = 1; 2 ** level <= leaves; level++) {
      await db.query(
        `INSERT INTO ledger_nodes (level, idx, hash)
         SELECT $1::smallint, l.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash)
           FROM ledger_nodes l JOIN ledger_nodes r ON r.level = l.level AND r.idx = l.idx + 1
          WHERE l.level = $1::smallint - 1 AND l.idx % 2 = 0`,
        [level],
      );
    }
    await db.query(
      `INSERT INTO ledger_entries (position, event_id, log_tx_id, log_id)
       SELECT i, gen_random_uuid(), '1'::xid8, i FROM generate_series(0, $1::bigint - 1) AS i`,
      [leaves],
    );
    await db.query("ANALYZE ledger_entries");
    await db.query("ANALYZE ledger_nodes");
    const sample = (
      await db.query<{ event_id: string }>(
        "SELECT event_id FROM ledger_entries TABLESAMPLE SYSTEM (2) LIMIT 20000",
      )
    ).map((r) => r.event_id);
    log(`tree built; ${fmtInt(sample.length)} event ids sampled`);

    // An auditor, registered straight into the log, logs in over HTTP.
    const userId = uuidv7();
    const passwordHash = await auth.passwords.hash(PASSWORD);
    await store.append(
      userStream(userId),
      "no_stream",
      [
        {
          type: "UserRegistered",
          data: { userId, email: "auditor@example.com", displayName: null, roles: ["auditor"], passwordHash },
        },
      ],
      META,
    );
    const app = createApp(deps, [identityFeature, auditFeature]);
    const server = await new Promise<{ base: string; close(): Promise<void> }>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => {
        const { port } = s.address() as AddressInfo;
        resolve({ base: `http://127.0.0.1:${port}`, close: () => new Promise((d) => s.close(() => d())) });
      });
    });
    try {
      const login = await fetch(`${server.base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "auditor@example.com", password: PASSWORD }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const headers = { authorization: `Bearer ${accessToken}` };
      // Sanity: a served proof verifies against the tree's root.
      const probe = (await (
        await fetch(`${server.base}/v1/audit/proofs/inclusion?event=${sample[0]}&size=${leaves}`, { headers })
      ).json()) as { leafIndex: number; leafHash: string; auditPath: string[] };
      const root = await rootAt(db, leaves);
      if (
        !verifyInclusion(
          hexToBytes(probe.leafHash),
          probe.leafIndex,
          leaves,
          probe.auditPath.map(hexToBytes),
          root,
        )
      ) {
        throw new Error("a served inclusion proof did not verify");
      }
      let k = 0;
      const proofs = (duration: number): autocannon.Options => ({
        url: server.base,
        connections,
        duration,
        headers,
        requests: [
          {
            method: "GET",
            setupRequest: (req) => ({
              ...req,
              path: `/v1/audit/proofs/inclusion?event=${sample[k++ % sample.length]}&size=${leaves}`,
            }),
          },
        ],
      });
      const me = (duration: number): autocannon.Options => ({
        url: `${server.base}/v1/auth/me`,
        connections,
        duration,
        headers,
      });
      // A wrong answer fails the bench; a request slower than 30 s (a starved machine) is counted and reported.
      const load = async (opts: autocannon.Options, what: string) => {
        const r = await autocannon({ timeout: 30, ...opts });
        if (r.non2xx > 0 || r.errors > r.timeouts) {
          throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
        }
        return { rps: r.requests.total / r.duration, p99: r.latency.p99, timeouts: r.timeouts };
      };
      await load(me(warmupSeconds), "me warm-up");
      const meRate = await load(me(seconds), "GET /v1/auth/me");
      await load(proofs(warmupSeconds), "proofs warm-up");
      const proofRate = await load(proofs(seconds), "inclusion proofs");
      log(`proofs ${fmtInt(proofRate.rps)}/s (p99 ${proofRate.p99} ms); /auth/me ${fmtInt(meRate.rps)}/s`);

      return [
        ...appendRows,
        {
          name: `inclusion proofs over HTTP, tree of ${fmtInt(leaves)}`,
          value: proofRate.rps,
          unit: "req/s",
          baseline: { name: "GET /v1/auth/me, same token", value: meRate.rps },
          target: { min: 2000 },
          note: `${connections} connections; p99 ${proofRate.p99} ms; ${proofRate.timeouts} timed out`,
        },
      ];
    } finally {
      await server.close();
    }
  } finally {
    await auth.close();
  }
}

export const bench: BenchModule = {
  description: "ledger: appends with and without the sequencer, its lag, inclusion proofs over HTTP",
  run,
};
