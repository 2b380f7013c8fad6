/**
 * Benchmark dispatcher: `npm run bench -- <name> [<name> …]` runs bench/<name>.ts
 * (a module exporting `bench: BenchModule`) against real Postgres, each in a
 * fresh schema that is migrated first and dropped afterwards.
 *
 * Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/vigil_bench;
 * created when the server does not have it yet),
 * BENCH_POOL (connections, default 32), BENCH_WRITERS (concurrent workers,
 * default 32), BENCH_SECONDS (measured seconds per phase, default 10),
 * BENCH_WARMUP (warm-up seconds per phase, default 2). Modules read their own.
 */
import { readdir } from "node:fs/promises";
import { createPostgresDb } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { type BenchModule, ensureDatabase, envNumber, formatTable } from "./lib.ts";

const HERE = new URL("./", import.meta.url);
const NOT_BENCHES = new Set(["run", "lib"]);

async function available(): Promise<string[]> {
  const files = await readdir(HERE);
  return files
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => f.slice(0, -3))
    .filter((n) => !NOT_BENCHES.has(n))
    .sort();
}

async function load(name: string): Promise<BenchModule> {
  const mod = (await import(new URL(`./${name}.ts`, HERE).href)) as { bench?: BenchModule };
  if (!mod.bench) throw new Error(`bench/${name}.ts does not export \`bench\``);
  return mod.bench;
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/vigil_bench";

async function runOne(name: string, bench: BenchModule): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL || DEFAULT_URL;
  const pool = envNumber("BENCH_POOL", 32);
  const writers = envNumber("BENCH_WRITERS", 32);
  const seconds = envNumber("BENCH_SECONDS", 10);
  const warmupSeconds = envNumber("BENCH_WARMUP", 2);
  const schema = `bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = createPostgresDb({ url, max: 1 });
  const started = performance.now();
  const log = (m: string) =>
    console.log(`[${name} +${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = createPostgresDb({ url, schema, max: pool });
  try {
    await migrate(db);
    const version = (await admin.query<{ server_version: string }>("SHOW server_version"))[0]?.server_version;
    log(
      `${bench.description}\n  postgres ${version}, schema ${schema}, pool ${pool}, writers ${writers}, ` +
        `${seconds}s measured after ${warmupSeconds}s warm-up per phase`,
    );
    const rows = await bench.run({ db, url, schema, pool, writers, seconds, warmupSeconds, log });
    console.log(`\n${name}\n${formatTable(rows)}\n`);
  } finally {
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => a !== "--");
  const known = await available();
  if (names.length === 0 || names.some((n) => !known.includes(n))) {
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) console.error(`unknown benchmark: ${unknown.join(", ")}`);
    console.error(`usage: npm run bench -- <${known.join("|")}> [...]`);
    process.exitCode = 2;
    return;
  }
  await ensureDatabase(process.env.BENCH_DATABASE_URL || DEFAULT_URL);
  for (const name of names) await runOne(name, await load(name));
}

await main();
