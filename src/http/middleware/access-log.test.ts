import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.ts";
import { createApp } from "../../app.ts";
import { createLogger } from "../../observability/logger.ts";
import { testDeps } from "../test-app.ts";

let db: Db;
const lines: string[] = [];
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const deps = await testDeps({}, { logger: createLogger({ level: "info", destination }) });
  db = deps.db;
  app = createApp(deps, [
    (a) =>
      a.get("/v1/boom", () => {
        throw new Error("kaboom");
      }),
  ]);
});
afterAll(() => db.close());

describe("access log", () => {
  it("writes one line per request with id, method, path, status and duration, no query string", async () => {
    lines.length = 0;
    const res = await app.request("/health?token=reset-token-secret", {
      headers: { "X-Request-Id": "req-log-0001", Authorization: "Bearer very-secret" },
    });
    expect(res.status).toBe(200);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = entries.filter((e) => e.msg === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      requestId: "req-log-0001",
      method: "GET",
      path: "/health",
      status: 200,
    });
    expect(typeof access[0]!.durationMs).toBe("number");
    expect(lines.join("")).not.toMatch(/reset-token-secret|very-secret/);
  });

  it("logs a 500 with the error under the request id the client also gets", async () => {
    lines.length = 0;
    const res = await app.request("/v1/boom");
    expect(res.status).toBe(500);
    const id = res.headers.get("X-Request-Id");
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const error = entries.find((e) => e.msg === "request failed");
    expect(error).toMatchObject({ requestId: id, errorCode: "internal_error", level: "error" });
    expect(JSON.stringify(error)).toContain("kaboom");
    expect(entries.find((e) => e.msg === "request")).toMatchObject({
      status: 500,
      route: "/v1/boom",
      requestId: id,
    });
  });
});
