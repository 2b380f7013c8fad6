/**
 * Push latency of the custody WebSocket across instances: two Vigil instances
 * share the bench schema and Redis; a guardian's socket is connected to
 * instance B; a guardian proposes transactions through instance A's custody
 * command (the REST and socket path's function). Measured per proposal: from
 * the moment A's event store is asked to append the transaction's events
 * (TransactionProposed + SigningRoundStarted, one transaction) until the
 * `commitments_wanted` push arrives at the guardian's client on B, through the
 * commit, the NOTIFY wake-up, the fan-out consumer, Redis pub/sub and B's
 * socket. The append's own time is inside the figure. Proposals run one after another with a short pause, so the
 * figure is latency, not queueing.
 *
 * Baseline, same run: how long the command itself takes to answer on A (what a
 * REST caller waits for). The ratio says how much later than the proposer the
 * other instance's guardian hears of it. Target: p99 <= 50 ms.
 *
 * Module env: BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_PUSH_SAMPLES (default 300), BENCH_PUSH_PAUSE_MS (default 10).
 */
import { createPostgresDb } from "../db/client.ts";
import { requireAuthDeps } from "../src/auth/deps.ts";
import { proposeTransaction } from "../src/custody/commands.ts";
import { activeVault, Client, metaAs, registerAndLogin, startInstance } from "../src/custody/ws/testing.ts";
import { type BenchContext, type BenchModule, envNumber, fmtMs, type ResultRow } from "./lib.ts";

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** The push-latency rows; `npm run bench -- custody` runs it after the signing rounds, `custody-push` alone. */
export async function pushLatency(ctx: BenchContext): Promise<ResultRow[]> {
  const samples = envNumber("BENCH_PUSH_SAMPLES", 300);
  const pauseMs = envNumber("BENCH_PUSH_PAUSE_MS", 10);
  const env = {
    REDIS_URL: process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379",
    REDIS_PREFIX: `vigil-bench-${crypto.randomUUID()}`,
    LOG_LEVEL: "warn",
  };
  const dbB = createPostgresDb({ url: ctx.url, schema: ctx.schema, max: 8 });
  const a = await startInstance(ctx.db, env);
  const b = await startInstance(dbB, env);
  const clients: Client[] = [];
  try {
    const guardians = [];
    for (const n of [1, 2, 3])
      guardians.push(await registerAndLogin(a.app, `bench-guardian${n}@example.com`));
    const vault = await activeVault(a.rt.deps, guardians);
    const listener = await Client.connect(b.wsUrl, guardians[1]!.accessToken);
    clients.push(listener);
    const proposer = guardians[0]!;
    const deps = requireAuthDeps(a.rt.deps);
    const caller = { userId: proposer.userId, roles: ["guardian"] };
    ctx.log(`vault ${vault.vaultId} active; guardian connected to instance B; ${samples} proposals`);

    // The moment the append starts, read off A's store (the command's loads and checks come before it).
    const store = a.rt.deps.store;
    const append = store.append.bind(store);
    let appendAt = 0;
    let appended = 0;
    const appendMs: number[] = [];
    store.append = (streamId, expected, events, meta) => {
      if (!streamId.startsWith("custodytx-")) return append(streamId, expected, events, meta);
      appendAt = performance.now();
      return append(streamId, expected, events, meta).finally(() => {
        appended = performance.now();
      });
    };
    const push: number[] = [];
    const answer: number[] = [];
    const warmup = Math.min(20, Math.floor(samples / 10));
    for (let i = 0; i < samples + warmup; i++) {
      const t0 = performance.now();
      const tx = await proposeTransaction(
        deps,
        caller,
        vault.vaultId,
        { chain: "solana", destination: "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", amount: "0.5" },
        metaAs(`user:${proposer.userId}`),
      );
      const t1 = performance.now();
      await listener.next((f) => f.event === "commitments_wanted" && f.transactionId === tx.txId, 10_000);
      const t2 = performance.now();
      if (i >= warmup) {
        answer.push(t1 - t0);
        push.push(t2 - appendAt);
        appendMs.push(appended - appendAt);
      }
      listener.frames.length = 0;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    push.sort((x, y) => x - y);
    appendMs.sort((x, y) => x - y);
    answer.sort((x, y) => x - y);
    ctx.log(
      `push: p50 ${fmtMs(pct(push, 0.5))}, p99 ${fmtMs(pct(push, 0.99))}, max ${fmtMs(push.at(-1) ?? 0)}; ` +
        `command answer on A: p50 ${fmtMs(pct(answer, 0.5))}, p99 ${fmtMs(pct(answer, 0.99))}; ` +
        `the append alone: p50 ${fmtMs(pct(appendMs, 0.5))}, p99 ${fmtMs(pct(appendMs, 0.99))}`,
    );
    const rows: ResultRow[] = [
      {
        name: "push p99, A append → guardian on B",
        value: pct(push, 0.99),
        unit: "ms",
        baseline: { name: "command answer p99 on A", value: pct(answer, 0.99) },
        target: { max: 50 },
        note: `p50 ${fmtMs(pct(push, 0.5))}, max ${fmtMs(push.at(-1) ?? 0)} over ${push.length} proposals (timed from the start of the append, which it includes)`,
      },
    ];
    return rows;
  } finally {
    for (const c of clients) c.close();
    await b.close();
    await a.close();
    await dbB.close();
  }
}

export const bench: BenchModule = {
  description: "custody push: append of a round event on instance A → guardian socket on instance B (p99)",
  run: pushLatency,
};
