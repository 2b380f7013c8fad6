/**
 * Generates the typed client from the API document, with no server running:
 * the app is built as the entries build it (embedded database in memory) and
 * asked for /openapi.json. Writes, under the output folder (default: client/):
 *
 *   openapi.json       the document, as served
 *   src/schema.d.ts    its types (openapi-typescript)
 *   src/security.ts    which credentials each operation takes
 *
 * `--check` generates into a temporary folder and fails when the committed
 * files differ: the committed client is stale.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../../src/app.ts";
import { features } from "../../src/features.ts";
import { buildRuntime } from "../../src/runtime.ts";

const CLIENT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FILES = ["openapi.json", "src/schema.d.ts", "src/security.ts"];

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON.
type Json = Record<string, any>;

async function dumpDocument(): Promise<Json> {
  const rt = await buildRuntime(
    { NODE_ENV: "test", DATA_DIR: "memory://", LOG_LEVEL: "silent" },
    { logDestination: { write: () => {} } },
  );
  try {
    const res = await createApp(rt.deps, features).request("/openapi.json");
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    return (await res.json()) as Json;
  } finally {
    await rt.close();
  }
}

function securityModule(doc: Json): string {
  const lines: string[] = [];
  for (const path of Object.keys(doc.paths).sort()) {
    for (const [method, op] of Object.entries(doc.paths[path] as Json)) {
      const schemes = [...new Set(((op.security ?? []) as Json[]).flatMap((alt) => Object.keys(alt)))];
      if (schemes.length) lines.push(`  "${method.toUpperCase()} ${path}": ${JSON.stringify(schemes)},`);
    }
  }
  return `// Generated from openapi.json by scripts/generate.ts: do not edit.
/** The credentials each operation takes ("METHOD /path" → security schemes); absent: none. */
export const SECURED: Readonly<Record<string, readonly string[]>> = {
${lines.join("\n")}
};
`;
}

async function generate(out: string): Promise<void> {
  const doc = await dumpDocument();
  mkdirSync(join(out, "src"), { recursive: true });
  writeFileSync(join(out, "openapi.json"), `${JSON.stringify(doc, null, 2)}\n`);
  execFileSync(
    join(CLIENT, "node_modules", ".bin", "openapi-typescript"),
    [join(out, "openapi.json"), "-o", join(out, "src", "schema.d.ts"), "--silent"],
    { stdio: "inherit" },
  );
  writeFileSync(join(out, "src", "security.ts"), securityModule(doc));
}

if (process.argv.includes("--check")) {
  const tmp = mkdtempSync(join(tmpdir(), "vigil-client-"));
  try {
    await generate(tmp);
    const stale = FILES.filter((f) => {
      const committed = (() => {
        try {
          return readFileSync(join(CLIENT, f), "utf8");
        } catch {
          return null;
        }
      })();
      return committed !== readFileSync(join(tmp, f), "utf8");
    });
    if (stale.length) {
      console.error(`The committed client is stale: ${stale.join(", ")}. Run \`npm run client:generate\`.`);
      process.exitCode = 1;
    } else console.log("client is up to date with /openapi.json");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  await generate(CLIENT);
  console.log(`wrote ${FILES.map((f) => `client/${f}`).join(", ")}`);
}
