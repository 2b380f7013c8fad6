/**
 * `npm run cli -- export --from <position|time> [--to <position|time>] [--types A,B]
 *   [--streams s1,s2] [--format ndjson|csv] [--previous <tree size>] [--out <file>]`
 *
 * The same export as POST /v1/audit/exports (recorded as AuditExportRequested
 * by `system:cli`), built right here rather than by a worker, with a progress
 * bar on a terminal and plain lines otherwise. `--to` defaults to the latest
 * signed checkpoint. The bundle is written to EXPORT_DIR; `--out` copies it
 * there too (recorded as AuditExportDownloaded).
 */
import { copyFile } from "node:fs/promises";
import { handle } from "../../events/handle.ts";
import type { EventMetadata } from "../../events/types.ts";
import { decideDownload, exportEvolver, exportStream } from "../audit/exports/export.ts";
import { exportServices } from "../audit/exports/feature.ts";
import { bundlePath, EXPORT_JOB, exportJobHandlers } from "../audit/exports/job.ts";
import { RequestSchema, requestExport, resolveExport } from "../audit/exports/request.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { AppError } from "../http/errors.ts";

export interface ExportCliDeps {
  authDeps: () => Promise<AuthDeps>;
  out: (line: string) => void;
  /** Where the progress goes, and whether it is a terminal (a redrawn bar) or not (a line per 10%). */
  progress: { write(text: string): void; tty: boolean };
}

export const stderrProgress: ExportCliDeps["progress"] = {
  write: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

const OPTIONS = ["--from", "--to", "--types", "--streams", "--format", "--previous", "--out"] as const;

function parseArgs(args: readonly string[]): Record<string, string> | string {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const [k, v] = [args[i]!, args[i + 1]];
    if (!(OPTIONS as readonly string[]).includes(k)) return `unknown option ${k}`;
    if (v === undefined) return `${k} needs a value`;
    o[k.slice(2)] = v;
  }
  return o.from === undefined ? "--from is required" : o;
}

const bound = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);
const list = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()) : undefined);

export function progressBar(done: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}% ${done.toLocaleString("en")}/${total.toLocaleString("en")} positions`;
}

export async function cmdExport(d: ExportCliDeps, args: readonly string[]): Promise<number> {
  const o = parseArgs(args);
  if (typeof o === "string") {
    d.out(
      `${o}\nusage: npm run cli -- export --from <position|time> [--to <position|time>] [--types A,B] [--streams s1,s2] [--format ndjson|csv] [--previous <tree size>] [--out <file>]`,
    );
    return 2;
  }
  const deps = await d.authDeps();
  const { view, dir } = exportServices(deps);
  const latest = (await view.latestCheckpoint())?.size ?? 0;
  const input = RequestSchema.safeParse({
    from: bound(o.from!),
    to: o.to === undefined ? latest : bound(o.to),
    types: list(o.types),
    streams: list(o.streams),
    format: o.format,
    previous: o.previous === undefined ? undefined : bound(o.previous),
  });
  if (!input.success) {
    for (const i of input.error.issues) d.out(`--${String(i.path[0])}: ${i.message}`);
    return 2;
  }
  const meta: EventMetadata = {
    actor: "system:cli",
    ip: null,
    userAgent: "vigil-cli export",
    requestId: null,
    correlationId: crypto.randomUUID(),
    causationId: null,
  };
  let req: Awaited<ReturnType<typeof resolveExport>>;
  try {
    req = await resolveExport(deps, view, input.data);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    d.out(
      `${err.message}${err.extra.errors ? `: ${err.extra.errors.map((e) => e.message).join("; ")}` : ""}`,
    );
    return 1;
  }
  await requestExport(deps.store, req, meta);
  d.out(`export ${req.exportId}: positions [${req.from}, ${req.to}), ${req.format}`);

  let lastTenth = -1;
  const progress = (done: number, total: number) => {
    if (d.progress.tty) d.progress.write(`\r${progressBar(done, total)}`);
    else if (Math.floor((done * 10) / Math.max(1, total)) > lastTenth) {
      lastTenth = Math.floor((done * 10) / Math.max(1, total));
      d.progress.write(`${progressBar(done, total)}\n`);
    }
  };
  const job = exportJobHandlers({ ...deps, view, dir, onProgress: progress })[EXPORT_JOB]!;
  // One attempt: a failure is recorded (AuditExportFailed) and reported below.
  await job(
    { exportId: req.exportId },
    { id: `cli/${EXPORT_JOB}`, name: EXPORT_JOB, attempt: 1, maxAttempts: 1 },
  ).catch(() => {});
  if (d.progress.tty) d.progress.write("\n");
  const path = bundlePath(dir, req.exportId);
  const [row] = await deps.db.query<{ status: string; events: number; error: string | null }>(
    "SELECT status, events, error FROM audit_exports WHERE export_id = $1",
    [req.exportId],
  );
  if (row?.status !== "completed") {
    d.out(`export failed: ${row?.error ?? "unknown"}`);
    return 1;
  }
  d.out(`${Number(row.events)} events written to ${path}`);
  if (o.out) {
    await copyFile(path, o.out);
    await handle(
      deps.store,
      exportStream(req.exportId),
      exportEvolver,
      (s) => decideDownload(s, req.exportId),
      meta,
    );
    d.out(
      `copied to ${o.out}; verify it with: npx vigil-verify ${o.out} --key <the key at /.well-known/vigil-checkpoint-key>`,
    );
  }
  return 0;
}
