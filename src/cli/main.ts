/**
 * `vigil <command>` (bin/vigil.mjs) or `npm run -s cli -- <command>`: operations
 * on the log and its projections; `vigil help` lists them (src/cli/usage.ts).
 *
 * Start-up cost is the point of this file: it loads only what the command
 * needs. `catalog`, `outbox` and `help` open no database (so they work while
 * the server holds the embedded one); readers open it and check its schema;
 * only `migrate` and the commands that write migrate it (src/cli/with-database.ts).
 * Results go to stdout, logs and progress to stderr, so `--json` pipes cleanly.
 */
import { loadConfig } from "../config.ts";
import { databaseNeed, USAGE } from "./usage.ts";

const out = (line: string) => console.log(line);

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") {
    out(USAGE);
    return 0;
  }
  if (command === undefined) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  if (command === "catalog") {
    const [{ createCatalog }, { printCatalog }] = await Promise.all([
      import("../../events/catalog/index.ts"),
      import("./catalog.ts"),
    ]);
    return printCatalog(createCatalog(), out, rest.includes("--json"));
  }
  if (command === "outbox") {
    const { limitArg, printOutbox } = await import("./catalog.ts");
    return printOutbox(config.dataDir, out, limitArg(rest));
  }
  const need = databaseNeed(command);
  if (need === "none") {
    console.error(`unknown command: ${JSON.stringify(command.slice(0, 64))}\n${USAGE}`);
    return 2;
  }
  const { runWithDatabase } = await import("./with-database.ts");
  return runWithDatabase(config, argv, need);
}

/**
 * Exits once stdout has drained: a pipe that the parent made non-blocking (npx
 * does) queues what does not fit its 64 KiB buffer, and an immediate
 * process.exit would cut `catalog --json` short mid-document.
 */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.exit(code));
}

main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  exitAfterFlush(1);
});
