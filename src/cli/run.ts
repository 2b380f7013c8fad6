/** Maps argv onto the CLI's commands. */
import { cmdGovernanceVerify } from "../governance/cli.ts";
import { type AccessCliDeps, cmdAdminCreate, cmdKeysRotateEncryption } from "./access.ts";
import {
  type CliDeps,
  cmdCatalog,
  cmdMigrate,
  cmdOutbox,
  cmdRebuild,
  cmdReplayVerify,
  cmdVerify,
} from "./commands.ts";
import { cmdExport, type ExportCliDeps, stderrProgress } from "./export.ts";
import { cmdKeysRotateCheckpoint } from "./ledger.ts";

export const USAGE = `usage: npm run cli -- <migrate | verify | replay --verify | rebuild <projection> | catalog [--json] | outbox [--limit N] | admin create --email <address> [--force] | keys rotate-encryption | keys rotate-checkpoint | governance verify <proposalId> | export --from <position|time> [--to …] [--types …] [--streams …] [--format ndjson|csv] [--previous N] [--out file]>`;

export async function runCli(
  argv: readonly string[],
  deps: CliDeps & Partial<AccessCliDeps> & { exportProgress?: ExportCliDeps["progress"] },
): Promise<number> {
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
    case "admin":
      if (rest[0] !== "create" || !deps.authDeps) break;
      return cmdAdminCreate({ authDeps: deps.authDeps, out: deps.out }, rest.slice(1));
    case "governance":
      if (rest[0] !== "verify" || !rest[1]) break;
      return cmdGovernanceVerify(deps, rest[1]);
    case "export":
      if (!deps.authDeps) break;
      return cmdExport(
        { authDeps: deps.authDeps, out: deps.out, progress: deps.exportProgress ?? stderrProgress },
        rest,
      );
    case "keys":
      if (rest[0] === "rotate-checkpoint" && deps.authDeps) {
        return cmdKeysRotateCheckpoint({ authDeps: deps.authDeps, out: deps.out });
      }
      if (rest[0] !== "rotate-encryption" || !deps.authDeps) break;
      return cmdKeysRotateEncryption({ authDeps: deps.authDeps, out: deps.out });
  }
  deps.out(USAGE);
  return 2;
}
