/**
 * `npx vigil-verify <bundle> [--key <verifier key | file>]… [--previous <checkpoint file>]`
 *
 * Exit 0 with a one-line summary when every check holds; 1 with the first
 * failure (which check, which event or file); 2 on a usage error.
 */
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { verifyBundle } from "./verify.ts";

export const USAGE =
  "usage: vigil-verify <bundle.tar> [--key <verifier key or file>]... [--previous <older checkpoint file>]";

interface Args {
  bundle: string;
  keys: string[];
  previous?: string;
}

function parseArgs(argv: readonly string[]): Args | string {
  const keys: string[] = [];
  let bundle: string | undefined;
  let previous: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--key" || a === "--previous") {
      const v = argv[++i];
      if (v === undefined) return `${a} needs a value`;
      if (a === "--key") keys.push(v);
      else previous = v;
    } else if (a === "-h" || a === "--help") return "";
    else if (a.startsWith("-")) return `unknown option ${a}`;
    else if (bundle === undefined) bundle = a;
    else return `one bundle at a time (got ${bundle} and ${a})`;
  }
  return bundle === undefined ? "which bundle?" : { bundle, keys, previous };
}

/** A --key value is a verifier key (`name+id+key`) or a file holding one per line. */
async function loadKeys(values: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const v of values) {
    if (!v.includes("+") && existsSync(v)) {
      out.push(...(await readFile(v, "utf8")).split("\n").filter((l) => l.trim() !== ""));
    } else out.push(v);
  }
  return out;
}

export async function main(
  argv: readonly string[],
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    out(args ? `${args}\n${USAGE}` : USAGE);
    return 2;
  }
  if (!existsSync(args.bundle)) {
    out(`FAIL bundle: ${args.bundle} does not exist`);
    return 1;
  }
  let previous: string | undefined;
  if (args.previous !== undefined) {
    if (!existsSync(args.previous)) {
      out(`FAIL previous: ${args.previous} does not exist`);
      return 1;
    }
    previous = await readFile(args.previous, "utf8");
  }
  const result = await verifyBundle(createReadStream(args.bundle), {
    keys: await loadKeys(args.keys),
    previous,
  });
  if (result.ok) {
    out(result.summary);
    return 0;
  }
  out(`FAIL ${result.check}: ${result.message}`);
  return 1;
}
