/** The CLI's help text, in a module of its own so `vigil help` loads nothing else. */
export const USAGE = `usage: vigil <command> [options]   (or: npm run -s cli -- <command>)

commands that need no database:
  catalog [--json]           the event catalogue (JSON Schemas under --json)
  outbox [--limit N]         the newest mail in the development outbox
  help                       this text

commands that read the database (they check its schema, and never migrate it):
  replay --verify            rebuild every projection into shadow tables and diff against live
  governance verify <proposalId>
                             re-verify a proposal's vote signatures and recount

commands that write (they apply pending migrations first):
  migrate                    apply pending migrations
  verify                     recompute every stream's hash chain (exit 1 on a break)
  rebuild <projection>       rebuild one projection from the log
  admin create --email <address> [--force]
                             create the first admin; prints a one-time set-password link
  keys rotate-encryption     re-encrypt secrets at rest under the current ENCRYPTION_KEY
  keys rotate-checkpoint     retire the ledger's checkpoint signing key and make a new one
  export --from <position|time> [--to …] [--types …] [--streams …] [--format ndjson|csv] [--previous N] [--out file]
                             a compliance export, with progress on a terminal

Results go to stdout, progress and logs to stderr. See docs/cli.md.`;

/** How much of the database a command needs; main.ts opens only that much. */
export type DatabaseNeed = "none" | "read" | "write" | "migrate";

export function databaseNeed(command: string | undefined): DatabaseNeed {
  switch (command) {
    case "migrate":
      return "migrate";
    case "replay":
    case "governance":
      return "read";
    case "verify":
    case "rebuild":
    case "admin":
    case "keys":
    case "export":
      return "write";
    default:
      return "none";
  }
}
