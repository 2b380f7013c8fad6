/** Maps argv onto the CLI's commands. */
import {
  type CliDeps,
  cmdCatalog,
  cmdMigrate,
  cmdOutbox,
  cmdRebuild,
  cmdReplayVerify,
  cmdVerify,
} from "./commands.ts";

export const USAGE = `usage: npm run cli -- <migrate | verify | replay --verify | rebuild <projection> | catalog [--json] | outbox [--limit N]>`;

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "migrate":
      return cmdMigrate(deps);
    case "verify":
      return cmdVerify(deps);
    case "replay":
      if (!rest.includes("--verify")) break;
      return cmdReplayVerify(deps);
    case "rebuild":
      return cmdRebuild(deps, rest[0]);
    case "outbox": {
      const n = Number(rest[rest.indexOf("--limit") + 1]);
      return cmdOutbox(deps, deps.dataDir, rest.includes("--limit") && n > 0 ? n : 10);
    }
    case "catalog":
      return cmdCatalog(deps, rest.includes("--json"));
  }
  deps.out(USAGE);
  return 2;
}
