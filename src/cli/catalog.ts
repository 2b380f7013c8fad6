/** `catalog` and `outbox`: the commands that need no database, kept apart so they load little. */
import { z } from "zod";
import type { Catalog } from "../../events/catalog/catalog.ts";
import { outboxDir, readOutbox } from "../../workers/email.ts";

/** The event catalogue, for auditors: every type, its version and its JSON Schema. */
export function printCatalog(catalog: Catalog, out: (line: string) => void, json: boolean): number {
  const defs = catalog.list();
  if (json) {
    out(
      JSON.stringify(
        defs.map((e) => ({
          type: e.type,
          domain: e.domain,
          version: e.version,
          description: e.description,
          schema: z.toJSONSchema(e.schema),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  for (const e of defs) out(`${e.domain.padEnd(12)} ${e.type.padEnd(28)} v${e.version}  ${e.description}`);
  return 0;
}

/** The development outbox: mail Vigil "sent" without SMTP_URL, newest first. */
export async function printOutbox(
  dataDir: string,
  out: (line: string) => void,
  limit: number,
): Promise<number> {
  const messages = await readOutbox(outboxDir(dataDir), { limit });
  if (messages.length === 0) out(`no mail in ${outboxDir(dataDir)}`);
  for (const m of messages) {
    out(`--- ${m.createdAt}  to ${m.to}`);
    out(`Subject: ${m.subject}`);
    out("");
    out(m.text);
  }
  return 0;
}

/** `--limit N`, 10 when absent or not a positive number. */
export function limitArg(rest: readonly string[]): number {
  const n = Number(rest[rest.indexOf("--limit") + 1]);
  return rest.includes("--limit") && n > 0 ? n : 10;
}
