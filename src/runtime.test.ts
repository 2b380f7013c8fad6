import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { ConfigError } from "./config.ts";
import { buildRuntime } from "./runtime.ts";

describe("buildRuntime", () => {
  it("wires an embedded database, migrates it, and serves /ready", async () => {
    const closed: string[] = [];
    const rt = await buildRuntime(
      { NODE_ENV: "test", DATA_DIR: "memory://" },
      {
        extensions: [
          (r) => {
            r.deps.readiness.push({ name: "queue", check: async () => {} });
            r.onClose(() => {
              closed.push("queue");
            });
          },
        ],
      },
    );
    try {
      expect(rt.deps.db.kind).toBe("pglite");
      const res = await createApp(rt.deps).request("/ready");
      expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok", queue: "ok" } });
    } finally {
      await rt.close();
    }
    expect(closed).toEqual(["queue"]);
    await expect(rt.deps.db.query("select 1")).rejects.toThrow();
  });

  it("refuses a bad configuration before opening anything", async () => {
    await expect(buildRuntime({ NODE_ENV: "production" })).rejects.toBeInstanceOf(ConfigError);
  });
});
