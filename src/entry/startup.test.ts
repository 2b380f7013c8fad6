/** Start-up says what it is doing, one line per step, before the slow parts begin. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { buildRuntime, databaseLabel } from "../runtime.ts";

describe("start-up messages", () => {
  it("logs each step in order: open the database, migrate, start the services", async () => {
    const lines: { msg: string }[] = [];
    const rt = await buildRuntime(
      { NODE_ENV: "test", DATA_DIR: "memory://", LOG_LEVEL: "info" },
      {
        logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) },
        extensions: [() => {}],
      },
    );
    await rt.close();
    const msgs = lines.map((l) => l.msg);
    const at = (re: RegExp) => msgs.findIndex((m) => re.test(m));
    expect(at(/^opening an in-memory embedded database/)).toBe(0);
    expect(at(/^applying pending database migrations$/)).toBe(1);
    expect(at(/^applied \d+ migration\(s\)$/)).toBe(2);
    expect(at(/^starting the password-hashing pool/)).toBeGreaterThan(2);
    expect(at(/^starting the job queue/)).toBeGreaterThan(at(/^starting the password-hashing pool/));
    expect(at(/^runtime ready$/)).toBe(msgs.length - 1);
  }, 180_000);

  it("names where the data lives, and never prints the database URL", () => {
    const pg = loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: "postgres://vigil:s3cret@db.internal:5432/vigil",
    });
    expect(databaseLabel(pg)).toBe("the Postgres database at DATABASE_URL");
    expect(databaseLabel(pg)).not.toMatch(/s3cret|db\.internal/);
    const embedded = loadConfig({ NODE_ENV: "test", DATA_DIR: "./data/" });
    expect(databaseLabel(embedded)).toMatch(/^the embedded database at \.\/data\/pglite \(its first start/);
  });
});
