/** Maps argv onto the CLI's commands. */
import { cmdGovernanceVerify } from "../governance/cli.ts";
import { type AccessCliDeps, cmdAdminCreate, cmdKeysRotateEncryption } from "./access.ts";
import { limitArg } from "./catalog.ts";
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
import { USAGE } from "./usage.ts";

export { USAGE };

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
    case "outbox":
      return cmdOutbox(deps, deps.dataDir, limitArg(rest));
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
