/**
 * Signed votes over HTTP (@hono/node-server on 127.0.0.1, autocannon in the
 * same process) on real Postgres: POST /v1/governance/proposals/{id}/votes
 * with EIP-712 signatures, 32 connections, many voters, every vote distinct
 * (one per voter and proposal) and accepted (201). Each accepted vote costs
 * the server one secp256k1 public-key recovery, so the baseline is the rate
 * at which this process recovers signers with the same code (@noble/curves
 * through Vigil's recoverAddress) in the same run, one at a time on the main
 * thread; the ratio says how much of that reaches clients through HTTP, auth,
 * validation, the snapshot-power lookup and the transaction. The server does
 * its recoveries in its signature worker pool (one worker fewer than the
 * cores), as it does in production; the baseline stays one thread on purpose.
 *
 * Set-up (not measured): voters registered and given power through the log,
 * wallets linked by event (the link flow has its own tests), proposals opened,
 * ballots pre-signed by the bench with @noble/curves. Rate limits off; the
 * in-memory SessionGuard (Redis is not what this measures).
 *
 * Module env: BENCH_GOV_VOTERS (default 400), BENCH_GOV_PROPOSALS (default:
 * enough ballots for both phases at 1,500 votes/s, at least 8), BENCH_CONNECTIONS
 * (default 32).
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import autocannon from "autocannon";
import { uuidv7 } from "../events/ids.ts";
import { createApp } from "../src/app.ts";
import { createAuthServices } from "../src/auth/services.ts";
import { memorySessionGuard } from "../src/auth/session-guard.ts";
import { loadConfig } from "../src/config.ts";
import { features } from "../src/features.ts";
import { voteTypedData } from "../src/governance/ballot.ts";
import { activate, createProposal } from "../src/governance/commands.ts";
import { typedDataDigest } from "../src/governance/crypto/eip712.ts";
import { addressOfPublicKey, recoverAddress, toHex } from "../src/governance/crypto/ethereum.ts";
import { defaultSignatureWorkers } from "../src/governance/crypto/signature-pool.ts";
import { assignPower } from "../src/governance/power.ts";
import { walletsStream } from "../src/governance/wallets.ts";
import { userStream } from "../src/identity/user.ts";
import { createLogger } from "../src/observability/logger.ts";
import {
  appStore,
  type BenchContext,
  type BenchModule,
  benchDeps,
  envNumber,
  fmtInt,
  BENCH_META as META,
  type ResultRow,
} from "./lib.ts";

const PASSWORD = "plum-harbour-velvet-42";

interface Voter {
  userId: string;
  email: string;
  secret: Uint8Array;
  address: string;
  token: string;
}

function sign(secret: Uint8Array, digest: Uint8Array): string {
  const rec = secp256k1.sign(digest, secret, { prehash: false, format: "recovered" });
  return `${toHex(rec.subarray(1))}${(27 + rec[0]!).toString(16)}`;
}

/** Recoveries per second, one at a time, for `seconds`: the machine's rate for the work each vote needs. */
function recoveryRate(samples: { digest: Uint8Array; signature: string }[], seconds: number): number {
  const start = performance.now();
  const until = start + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    const s = samples[n % samples.length]!;
    if (!recoverAddress(s.digest, s.signature)) throw new Error("baseline: recovery failed");
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const voterCount = envNumber("BENCH_GOV_VOTERS", 400);
  const { seconds, warmupSeconds: warmup } = ctx;
  // Every ballot is used once; running out would end the run with an error.
  const proposalCount = envNumber(
    "BENCH_GOV_PROPOSALS",
    Math.max(8, Math.ceil(((seconds + warmup) * 1500) / Math.max(1, voterCount))),
  );
  const connections = envNumber("BENCH_CONNECTIONS", 32);
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    RATE_LIMITS_ENABLED: "false",
    MAX_SESSIONS_PER_USER: "100",
    ACCESS_TOKEN_TTL_SECONDS: "3600",
    GOVERNANCE_MIN_VOTING_SECONDS: "1",
    GOVERNANCE_SIGNED_AT_SKEW_SECONDS: "3600",
    // A shared, loaded machine can queue a request for seconds; a timeout would hide the throughput.
    REQUEST_TIMEOUT_MS: "120000",
  });
  const logger = createLogger({ level: "warn" });
  const clock = { now: () => new Date() };
  const store = await appStore(ctx.db, config, clock);
  const auth = await createAuthServices({
    store,
    db: ctx.db,
    config,
    clock,
    logger,
    guard: memorySessionGuard(clock),
    // Logins are set-up here, not what is measured.
    passwordOptions: { memoryKiB: 512, iterations: 1, parallelism: 1, poolSize: 1 },
  });
  const deps = benchDeps({ config, db: ctx.db, store, logger, clock, auth });
  const app = createApp(deps, features);
  // Requests the server is still handling: autocannon drops the ones in flight
  // when a phase ends, and the server finishes them after; the recovery
  // baseline and the teardown wait for that instead of competing with it.
  let inFlight = 0;
  const counted = async (req: Request, env: unknown): Promise<Response> => {
    inFlight++;
    try {
      // The node-server bindings pass through: the client IP middleware reads them.
      return await app.fetch(req, env);
    } finally {
      inFlight--;
    }
  };
  const drained = async () => {
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  };
  const server = await new Promise<{ base: string; close: () => Promise<void> }>((resolve) => {
    const s = serve({ fetch: counted, hostname: "127.0.0.1", port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => s.close(() => done())),
      });
    });
  });
  try {
    ctx.log(`set-up: ${voterCount} voters, ${proposalCount} proposals`);
    const passwordHash = await auth.passwords.hash(PASSWORD);
    const makeVoter = async (i: number): Promise<Voter> => {
      const userId = uuidv7();
      const email = `voter-${i}@example.com`;
      const secret = secp256k1.utils.randomSecretKey();
      const address = addressOfPublicKey(secp256k1.getPublicKey(secret, false));
      await store.append(
        userStream(userId),
        "no_stream",
        [
          {
            type: "UserRegistered",
            data: { userId, email, displayName: null, roles: ["stakeholder"], passwordHash },
          },
        ],
        META,
      );
      await store.append(
        walletsStream(userId),
        "no_stream",
        [
          {
            type: "WalletLinked",
            data: { walletId: uuidv7(), userId, chain: "ethereum", address, nonce: "bench" },
          },
        ],
        META,
      );
      await assignPower(deps, userId, 1 + (i % 100), "bench", META);
      const login = await fetch(`${server.base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const token = ((await login.json()) as { accessToken: string }).accessToken;
      return { userId, email, secret, address, token };
    };
    // Set-up in parallel batches: the power stream serialises assignments, the rest overlaps.
    const voters: Voter[] = [];
    for (let i = 0; i < voterCount; i += 32) {
      const batch = Array.from({ length: Math.min(32, voterCount - i) }, (_, k) => makeVoter(i + k));
      voters.push(...(await Promise.all(batch)));
      if ((i / 32) % 5 === 4) ctx.log(`set-up: ${voters.length} voters`);
    }
    const starts = new Date(Date.now() + 500);
    const proposals: string[] = [];
    for (let p = 0; p < proposalCount; p++) {
      const id = await createProposal(
        deps,
        voters[0]!.userId,
        {
          title: `Bench proposal ${p}`,
          body: "",
          kind: "standard",
          choices: ["for", "against", "abstain"],
          votingStartsAt: starts.toISOString(),
          votingEndsAt: new Date(starts.getTime() + 3_600_000).toISOString(),
          quorumPercent: 10,
          thresholdPercent: 50,
        },
        META,
      );
      proposals.push(id);
    }
    await new Promise((r) => setTimeout(r, 600));
    for (const id of proposals) await activate(deps, id, META);

    const signedAt = Math.floor(Date.now() / 1000);
    const bodies: { path: string; headers: Record<string, string>; body: string }[] = [];
    const samples: { digest: Uint8Array; signature: string }[] = [];
    for (const id of proposals) {
      for (const v of voters) {
        const choice = ["for", "against", "abstain"][bodies.length % 3]!;
        const digest = typedDataDigest(
          voteTypedData(config.governance.chainId, {
            proposalId: id,
            choice,
            voter: v.address,
            signedAt,
            reason: "",
          }),
        );
        const signature = sign(v.secret, digest);
        if (samples.length < 256) samples.push({ digest, signature });
        bodies.push({
          path: `/v1/governance/proposals/${id}/votes`,
          headers: { authorization: `Bearer ${v.token}`, "content-type": "application/json" },
          body: JSON.stringify({ wallet: v.address, choice, signedAt, signature }),
        });
      }
    }
    ctx.log(
      `${bodies.length} ballots signed; baseline: secp256k1 recoveries, one at a time; ` +
        `server: ${defaultSignatureWorkers()} signature worker(s)`,
    );
    const before = recoveryRate(samples, Math.max(2, seconds / 2));
    let next = 0;
    const votes = async (duration: number) => {
      const r = await autocannon({
        url: server.base,
        connections,
        duration,
        requests: [
          {
            method: "POST",
            setupRequest: (req) => {
              const b = bodies[next++];
              if (!b) throw new Error("ran out of ballots: raise BENCH_GOV_VOTERS or BENCH_GOV_PROPOSALS");
              return { ...req, path: b.path, headers: b.headers, body: b.body };
            },
          },
        ],
      });
      return {
        accepted: r["2xx"],
        other: r.non2xx + r.errors + r.timeouts,
        rps: r["2xx"] / r.duration,
        p99: r.latency.p99,
      };
    };
    await votes(warmup);
    await drained();
    const from = new Date();
    const measured = await votes(seconds);
    const until = new Date();
    await drained();
    // What the server committed in the window (autocannon drops requests in flight at the end of
    // a phase, and the server still finishes them): printed beside what the clients saw.
    const [inWindow] = await ctx.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM governance_votes WHERE cast_at >= $1 AND cast_at < $2",
      [from.toISOString(), until.toISOString()],
    );
    const committed = Number(inWindow?.n ?? 0) / ((until.getTime() - from.getTime()) / 1000);
    const after = recoveryRate(samples, Math.max(2, seconds / 2));
    const baseline = (before + after) / 2;
    ctx.log(
      `votes: ${measured.accepted} accepted (${measured.other} other), ${measured.rps.toFixed(1)}/s, p99 ${measured.p99} ms; ` +
        `committed by the server in the window ${committed.toFixed(1)}/s; ` +
        `recoveries ${before.toFixed(0)}/s before, ${after.toFixed(0)}/s after`,
    );
    if (measured.other > 0) throw new Error(`${measured.other} votes were not accepted`);
    const [row] = await ctx.db.query<{ n: string }>("SELECT count(*)::text AS n FROM governance_votes");
    ctx.log(`votes recorded: ${fmtInt(Number(row?.n ?? 0))}`);
    return [
      {
        name: `POST …/votes (EIP-712), ${connections} connections`,
        value: measured.rps,
        unit: "votes/s",
        baseline: { name: "secp256k1 recoveries/s", value: baseline },
        target: { ratio: 0.6 },
        note: `p99 ${measured.p99} ms, ${voterCount} voters × ${proposalCount} proposals; server committed ${committed.toFixed(1)}/s in the window`,
      },
    ];
  } finally {
    await drained();
    await server.close();
    await auth.close();
  }
}

export const bench: BenchModule = {
  description: "Governance: signed votes accepted per second over HTTP vs secp256k1 recovery rate",
  run,
};
