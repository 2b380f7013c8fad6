/**
 * A Vitest reporter that ends the run with one list of the suites that were
 * skipped and why. The default reporter shows a skipped suite as a grey line
 * among hundreds; someone running `npm test` on a laptop should learn at the end,
 * once, that the real-service suites did not run and how to run them.
 *
 * The reason is the one the suite gives in its name (`skipped: …`), else the
 * real-service variables the file reads and the run lacks, else the file.
 */
import { readFileSync } from "node:fs";
import type { Reporter, TestModule, TestSuite } from "vitest/node";

export const SERVICE_VARS = ["TEST_DATABASE_URL", "TEST_REDIS_URL"] as const;

export interface SkippedSuite {
  file: string;
  name: string;
  /** The suite's own words (`skipped: …` in its name), when it gives them. */
  stated?: string;
  /** The file's source, to see which real-service variables it reads. */
  source: string;
}

export function reasonFor(s: SkippedSuite, env: Record<string, string | undefined>): string {
  if (s.stated) return s.stated;
  const unset = SERVICE_VARS.filter((v) => s.source.includes(v) && !env[v]);
  if (unset.length) return `${unset.join(" and ")} ${unset.length > 1 ? "are" : "is"} not set`;
  return "skipped by a condition in the file";
}

/** The closing block, or nothing when no suite was skipped. */
export function skippedSummary(
  suites: readonly SkippedSuite[],
  env: Record<string, string | undefined>,
): string[] {
  if (suites.length === 0) return [];
  const byReason = new Map<string, SkippedSuite[]>();
  for (const s of suites) {
    const reason = reasonFor(s, env);
    byReason.set(reason, [...(byReason.get(reason) ?? []), s]);
  }
  const lines = [
    ``,
    `Skipped ${suites.length} suite(s) (the default run uses PGlite and in-memory adapters):`,
  ];
  for (const [reason, list] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${reason}:`);
    for (const s of list) lines.push(`    ${s.file}  ${s.name}`);
  }
  if (SERVICE_VARS.some((v) => !env[v])) {
    lines.push(
      "  Run them against real services with TEST_DATABASE_URL=postgres://… TEST_REDIS_URL=redis://… (CI sets both).",
    );
  }
  return lines;
}

/** The outermost skipped suites of a module (a skipped suite's children say nothing new). */
function skippedIn(module: TestModule): TestSuite[] {
  const out: TestSuite[] = [];
  for (const suite of module.children.allSuites()) {
    if (suite.state() !== "skipped") continue;
    if (suite.parent.type === "suite" && suite.parent.state() === "skipped") continue;
    out.push(suite);
  }
  return out;
}

export default class SkippedSuitesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const suites: SkippedSuite[] = [];
    for (const module of modules) {
      const found = skippedIn(module);
      if (found.length === 0) continue;
      let source = "";
      try {
        source = readFileSync(module.moduleId, "utf8");
      } catch {
        // A virtual module: no source, so the reason falls back to the file.
      }
      for (const suite of found) {
        suites.push({
          file: module.relativeModuleId,
          name: suite.name,
          stated: /skipped: ([^)]+)/.exec(suite.name)?.[1],
          source,
        });
      }
    }
    const lines = skippedSummary(suites, process.env);
    if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
  }
}
