import { describe, expect, it } from "vitest";
import { reasonFor, type SkippedSuite, skippedSummary } from "./skipped-suites.ts";

const suite = (file: string, name: string, source: string): SkippedSuite => ({
  file,
  name,
  source,
  stated: /skipped: ([^)]+)/.exec(name)?.[1],
});

const pg = suite(
  "db/migrate.int.test.ts",
  "migrations on real Postgres",
  "describe.runIf(TEST_DATABASE_URL)(",
);
const both = suite(
  "src/sessions/sessions.int.test.ts",
  "sessions across processes",
  "describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL)(",
);
const own = suite(
  "test/postgres-restart.int.test.ts",
  "Postgres restarted under load (private cluster; skipped: no initdb on PATH)",
  "describe.skipIf(missing)(",
);

describe("the skipped-suites summary", () => {
  it("gives each suite the reason it states, else the variables it reads and the run lacks", () => {
    expect(reasonFor(pg, {})).toBe("TEST_DATABASE_URL is not set");
    expect(reasonFor(both, {})).toBe("TEST_DATABASE_URL and TEST_REDIS_URL are not set");
    expect(reasonFor(both, { TEST_DATABASE_URL: "postgres://x" })).toBe("TEST_REDIS_URL is not set");
    expect(reasonFor(own, {})).toBe("no initdb on PATH");
    expect(reasonFor(suite("a.test.ts", "x", "describe.skipIf(process.platform === 'win32')"), {})).toBe(
      "skipped by a condition in the file",
    );
  });

  it("lists every skipped suite once, grouped by reason, with how to run them", () => {
    const lines = skippedSummary([pg, both, own], {});
    expect(lines.filter((l) => l.includes("migrations on real Postgres"))).toHaveLength(1);
    expect(lines.join("\n")).toBe(
      [
        "",
        "Skipped 3 suite(s) (the default run uses PGlite and in-memory adapters):",
        "  no initdb on PATH:",
        "    test/postgres-restart.int.test.ts  Postgres restarted under load (private cluster; skipped: no initdb on PATH)",
        "  TEST_DATABASE_URL and TEST_REDIS_URL are not set:",
        "    src/sessions/sessions.int.test.ts  sessions across processes",
        "  TEST_DATABASE_URL is not set:",
        "    db/migrate.int.test.ts  migrations on real Postgres",
        "  Run them against real services with TEST_DATABASE_URL=postgres://… TEST_REDIS_URL=redis://… (CI sets both).",
      ].join("\n"),
    );
  });

  it("prints nothing when nothing was skipped", () => {
    expect(skippedSummary([], {})).toEqual([]);
  });
});
