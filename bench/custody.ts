/**
 * Custody signing throughput: complete signing rounds per second, t = 2 of 3,
 * FROST(Ed25519, SHA-512), through Vigil's HTTP API, on real Postgres. Requests
 * go through `app.request` in process (the whole Hono app and middleware, no
 * sockets), so the figure is Vigil's cost, not the kernel's.
 *
 * One round = propose, two nonce commitments, two signature shares: five
 * requests; the server checks every point, verifies both shares (RFC 9591
 * 5.4), aggregates and verifies the signature with RFC 8032 before
 * TransactionSigned, and appends seven events. The guardians' side (commit,
 * sign) runs in the same process, as it must somewhere.
 *
 * Baseline, in the same run: the library alone doing the same cryptography
 * with no Vigil at all: two commits, two signShare, two verifyShare,
 * aggregate and a plain verify, as many loops in parallel as the HTTP phase.
 * Target: ratio >= 0.5.
 *
 * Module env: BENCH_CUSTODY_CLIENTS (concurrent rounds, default 8).
 */
import { ed25519, ed25519_FROST as frost } from "@noble/curves/ed25519.js";
import { createApp } from "../src/app.ts";
import { createAuthServices } from "../src/auth/services.ts";
import { loadConfig } from "../src/config.ts";
import { fromHex, toHex } from "../src/custody/hex.ts";
import { GuardianClient, type Json, signedInUser, vaultWithKey } from "../src/custody/testing.ts";
import { features } from "../src/features.ts";
import { createLogger } from "../src/observability/logger.ts";
import { pushLatency } from "./custody-push.ts";
import {
  appStore,
  type BenchContext,
  type BenchModule,
  benchDeps,
  envNumber,
  type ResultRow,
  runFor,
} from "./lib.ts";

async function run(ctx: BenchContext): Promise<ResultRow[]> {
  const clients = envNumber("BENCH_CUSTODY_CLIENTS", 8);
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    RATE_LIMITS_ENABLED: "false",
    ADMIN_REQUIRE_MFA: "false",
  });
  const logger = createLogger({ level: "warn" });
  const clock = { now: () => new Date() };
  const store = await appStore(ctx.db, config, clock);
  const auth = await createAuthServices({ store, db: ctx.db, config, clock, logger });
  const deps = benchDeps({ config, db: ctx.db, store, logger, clock, auth });
  try {
    const app = createApp(deps, features);
    const admin = (await signedInUser(deps, app, "bench-admin@example.com", ["admin"])).call;
    const emails = ["bench-g1@example.com", "bench-g2@example.com", "bench-g3@example.com"];
    const guardians: GuardianClient[] = [];
    for (const e of emails)
      guardians.push(new GuardianClient((await signedInUser(deps, app, e)).call, "ed25519"));
    const codeFor = async (email: string) => {
      const [row] = await ctx.db.query<{ event_id: string }>(
        "SELECT event_id FROM events WHERE type = 'GuardianInvited' AND data->>'email' = $1 ORDER BY id DESC LIMIT 1",
        [email],
      );
      return auth.links.derive("custody_invitation", row!.event_id);
    };
    const vaultId = await vaultWithKey(admin, guardians, emails, codeFor);
    ctx.log(`vault ${vaultId}: 2 of 3, ed25519, key by DKG; ${clients} concurrent signing rounds`);

    const expect = (res: { status: number; body: Json }, status: number, what: string) => {
      if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    // One complete round over HTTP: the two signers rotate over the three guardians.
    const round = async (w: number, i: number) => {
      const a = guardians[(w + i) % 3]!;
      const b = guardians[(w + i + 1) % 3]!;
      const tx = expect(
        await a.call("POST", `/v1/custody/vaults/${vaultId}/transactions`, {
          chain: "solana",
          destination: "11111111111111111111111111111111",
          amount: "1",
        }),
        201,
        "propose",
      );
      const na = frost.commit(a.key!.secret);
      const nb = frost.commit(b.key!.secret);
      const commit = (g: GuardianClient, n: typeof na) =>
        g.call("POST", `/v1/custody/transactions/${tx.id}/commitments`, {
          hiding: toHex(n.commitments.hiding),
          binding: toHex(n.commitments.binding),
        });
      expect(await commit(a, na), 200, "commit");
      const pkg = expect(await commit(b, nb), 200, "commit");
      const list = (pkg.round.commitments as Json[]).map((c) => ({
        identifier: c.identifier,
        hiding: fromHex(c.hiding),
        binding: fromHex(c.binding),
      }));
      const msg = fromHex(pkg.message);
      const share = (g: GuardianClient, n: typeof na) =>
        g.call("POST", `/v1/custody/transactions/${tx.id}/shares`, {
          share: toHex(frost.signShare(g.key!.secret, g.key!.public, n.nonces, list, msg)),
        });
      expect(await share(a, na), 200, "share");
      const done = expect(await share(b, nb), 200, "share");
      if (done.status !== "signed") throw new Error(`round ended ${done.status}`);
      return 1;
    };

    // Baseline: the same cryptography, library only.
    const [ka, kb] = [guardians[0]!.key!, guardians[1]!.key!];
    const message = new TextEncoder().encode("vigil bench message");
    const library = async () => {
      const na = frost.commit(ka.secret);
      const nb = frost.commit(kb.secret);
      const list = [na.commitments, nb.commitments];
      const sa = frost.signShare(ka.secret, ka.public, na.nonces, list, message);
      const sb = frost.signShare(kb.secret, kb.public, nb.nonces, list, message);
      if (!frost.verifyShare(ka.public, list, message, ka.secret.identifier, sa)) throw new Error("share a");
      if (!frost.verifyShare(ka.public, list, message, kb.secret.identifier, sb)) throw new Error("share b");
      const sig = frost.aggregate(ka.public, list, message, {
        [ka.secret.identifier]: sa,
        [kb.secret.identifier]: sb,
      });
      if (!ed25519.verify(sig, message, ka.public.commitments[0]!)) throw new Error("signature");
      await Promise.resolve();
      return 1;
    };
    const base = await runFor({
      workers: clients,
      seconds: ctx.seconds,
      warmupSeconds: ctx.warmupSeconds,
      op: library,
    });
    ctx.log(`library sign+verify-share+aggregate: ${base.opsPerSec.toFixed(1)} rounds/s`);
    const http = await runFor({
      workers: clients,
      seconds: ctx.seconds,
      warmupSeconds: ctx.warmupSeconds,
      op: round,
    });
    ctx.log(
      `Vigil HTTP rounds: ${http.opsPerSec.toFixed(1)}/s, p50 ${http.p50Ms.toFixed(1)} ms, p99 ${http.p99Ms.toFixed(1)} ms`,
    );
    return [
      {
        name: "signing rounds/s via HTTP (2 of 3, Ed25519, in-process app.request)",
        value: http.opsPerSec,
        unit: "rounds/s",
        baseline: { name: "library commit+sign+verify-share+aggregate+verify", value: base.opsPerSec },
        target: { ratio: 0.5 },
        note: `${clients} concurrent rounds; round p99 ${http.p99Ms.toFixed(1)} ms`,
      },
    ];
  } finally {
    await auth.close();
  }
}

export const bench: BenchModule = {
  description:
    "custody: complete FROST signing rounds per second through the HTTP API vs the library alone; push latency across instances",
  run: async (ctx) => [...(await run(ctx)), ...(await pushLatency(ctx))],
};
